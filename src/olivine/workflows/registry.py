"""Which workflows and activities each task queue serves. Capabilities add themselves here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from olivine.services import Services
from olivine.workflows.common import QUEUE, REPO_QUEUE, SIGN_QUEUE


def workflows() -> list[type]:
    from olivine.workflows.builds import BuildBatchWorkflow, BuildWorkflow
    from olivine.workflows.imports import ImportBatchWorkflow, ImportWorkflow
    from olivine.workflows.projects import ApplyProjectWorkflow
    from olivine.workflows.publish import PublisherWorkflow
    from olivine.workflows.signing import KeyRequestWorkflow, ResignWorkflow

    return [ApplyProjectWorkflow, ImportWorkflow, ImportBatchWorkflow, PublisherWorkflow,
            BuildWorkflow, BuildBatchWorkflow, ResignWorkflow, KeyRequestWorkflow]  # fmt: skip


def activities(svc: Services, queue: str) -> list[Callable[..., Any]]:
    """Activities served on `queue` (orchestration, repo, or a build queue)."""
    from olivine.workflows.builds import BuildActivities
    from olivine.workflows.imports import ImportActivities
    from olivine.workflows.projects import ProjectActivities
    from olivine.workflows.tasks import TaskActivities

    if queue == QUEUE:
        t, p = TaskActivities(svc), ProjectActivities(svc)
        imp = ImportActivities(svc)
        return [t.task_start, t.task_finish, t.task_log, p.apply, *imp.all(),
                *BuildActivities(svc).orchestration()]  # fmt: skip
    if queue == REPO_QUEUE:
        from olivine.workflows.publish import PublishActivities
        from olivine.workflows.signing import SigningRepoActivities

        return [PublishActivities(svc).publish, *SigningRepoActivities(svc).all()]
    if queue == SIGN_QUEUE:  # the signing worker only: ConfigError without the KEK
        from olivine.signing.service import open_keystore
        from olivine.workflows.signing import SignerActivities

        return SignerActivities(svc, open_keystore(svc)).all()
    return BuildActivities(svc).builder()  # the build queues
