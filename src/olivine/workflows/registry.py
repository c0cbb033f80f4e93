"""Which workflows and activities each task queue serves. Capabilities add themselves here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from temporalio.worker import Interceptor

from olivine.services import Services
from olivine.workflows.common import QUEUE, REPO_QUEUE, SIGN_QUEUE

if TYPE_CHECKING:
    from olivine.workflows.build_activities import PublisherPort


def workflows() -> list[type]:
    from olivine.workflows.builds import BuildBatchWorkflow, BuildWorkflow
    from olivine.workflows.imports import ImportBatchWorkflow, ImportWorkflow
    from olivine.workflows.modules import ModuleBuildWorkflow
    from olivine.workflows.projects import ApplyProjectWorkflow
    from olivine.workflows.provenance import ProvenanceWorkflow
    from olivine.workflows.publish import PublisherWorkflow
    from olivine.workflows.repo_jobs import PublishWorkflow, RollbackWorkflow
    from olivine.workflows.signing import KeyRequestWorkflow, ResignWorkflow

    return [ApplyProjectWorkflow, ImportWorkflow, ImportBatchWorkflow, PublisherWorkflow,
            BuildWorkflow, BuildBatchWorkflow, PublishWorkflow, RollbackWorkflow,
            ModuleBuildWorkflow, ResignWorkflow, KeyRequestWorkflow,
            ProvenanceWorkflow]  # fmt: skip


def interceptors() -> list[Interceptor]:
    """Every worker's: the one retry rule (a domain error's `retryable`)."""
    from olivine.workflows.interceptors import DomainErrorInterceptor

    return [DomainErrorInterceptor()]


def activities(
    svc: Services, queue: str, publisher: PublisherPort | None = None
) -> list[Callable[..., Any]]:
    """Activities served on `queue` (orchestration, repo, or a build queue); `publisher`: the
    worker's client and loop, for the build activities that ask a publisher."""
    from olivine.workflows.batches import BatchActivities
    from olivine.workflows.builds import BuildActivities
    from olivine.workflows.imports import ImportActivities
    from olivine.workflows.modules import ModuleActivities
    from olivine.workflows.projects import ProjectActivities
    from olivine.workflows.repo_jobs import RepoJobActivities
    from olivine.workflows.tasks import TaskActivities

    if queue == QUEUE:
        t, p = TaskActivities(svc), ProjectActivities(svc)
        return [t.task_start, t.task_finish, t.task_log, p.apply, p.republish,
                *ImportActivities(svc).all(), *BatchActivities(svc).all(),
                *BuildActivities(svc).orchestration(), RepoJobActivities(svc).request,
                *ModuleActivities(svc).all()]  # fmt: skip
    if queue == REPO_QUEUE:
        from olivine.workflows.publish import PublishActivities
        from olivine.workflows.signing import SigningRepoActivities

        pub = PublishActivities(svc)
        return [pub.publish, pub.publish_unsigned, pub.rollback, *SigningRepoActivities(svc).all()]
    if queue == SIGN_QUEUE:  # the signing worker only: ConfigError without the KEK
        return _signer_activities(svc)
    return BuildActivities(svc, publisher).builder()  # the build queues


def _signer_activities(svc: Services) -> list[Callable[..., Any]]:
    """The signing worker's: project keys (RPMs, repomd.xml, key requests) and the instance
    key (provenance, the transparency log). Both open only with this worker's KEK."""
    from olivine.signing.instance import loader, log_origin
    from olivine.signing.leaves import Leaf
    from olivine.signing.logstore import append
    from olivine.signing.sealing import load_kek
    from olivine.signing.service import open_keystore
    from olivine.workflows.provenance import ProvenanceActivities
    from olivine.workflows.signing import SignerActivities

    s = svc.settings
    keys = open_keystore(svc)
    kek_file = s.signing_kek_file
    assert kek_file is not None  # open_keystore refused a worker without one
    signer = loader(svc.db, lambda: load_kek(kek_file, s.data_dir), log_origin(s.base_url))
    signer()  # the instance key exists from the signer's first start

    def log(leaf: Leaf) -> object:
        return append(svc.db, leaf, signer())

    return [*SignerActivities(svc, keys, log).all(), *ProvenanceActivities(svc, signer).all()]
