"""Which workflows and activities each task queue serves. Capabilities add themselves here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.worker import Interceptor

from olivine.services import Services
from olivine.workflows.common import QUEUE, REPO_QUEUE


def workflows() -> list[type]:
    from olivine.workflows.builds import BuildBatchWorkflow, BuildWorkflow
    from olivine.workflows.imports import ImportBatchWorkflow, ImportWorkflow
    from olivine.workflows.modules import ModuleBuildWorkflow
    from olivine.workflows.projects import ApplyProjectWorkflow
    from olivine.workflows.publish import PublisherWorkflow
    from olivine.workflows.repo_jobs import PublishWorkflow, RollbackWorkflow

    return [ApplyProjectWorkflow, ImportWorkflow, ImportBatchWorkflow, PublisherWorkflow,
            BuildWorkflow, BuildBatchWorkflow, PublishWorkflow, RollbackWorkflow,
            ModuleBuildWorkflow]  # fmt: skip


def interceptors() -> list[Interceptor]:
    """Every worker's: the one retry rule (a domain error's `retryable`)."""
    from olivine.workflows.interceptors import DomainErrorInterceptor

    return [DomainErrorInterceptor()]


def activities(svc: Services, queue: str) -> list[Callable[..., Any]]:
    """Activities served on `queue` (orchestration, repo, or a build queue)."""
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

        pub = PublishActivities(svc)
        return [pub.publish, pub.rollback]
    return BuildActivities(svc).builder()  # the build queues
