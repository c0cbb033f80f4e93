"""Which workflows and activities each task queue serves. Capabilities add themselves here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from olivine.services import Services
from olivine.workflows.common import QUEUE, REPO_QUEUE


def workflows() -> list[type]:
    from olivine.workflows.builds import BuildBatchWorkflow, BuildWorkflow
    from olivine.workflows.imports import ImportBatchWorkflow, ImportWorkflow
    from olivine.workflows.modules import ModuleBuildWorkflow
    from olivine.workflows.projects import ApplyProjectWorkflow
    from olivine.workflows.publish import PublisherWorkflow

    return [ApplyProjectWorkflow, ImportWorkflow, ImportBatchWorkflow, PublisherWorkflow,
            BuildWorkflow, BuildBatchWorkflow, ModuleBuildWorkflow]  # fmt: skip


def activities(svc: Services, queue: str) -> list[Callable[..., Any]]:
    """Activities served on `queue` (orchestration, repo, or a build queue)."""
    from olivine.workflows.builds import BuildActivities
    from olivine.workflows.imports import ImportActivities
    from olivine.workflows.modules import ModuleActivities
    from olivine.workflows.projects import ProjectActivities
    from olivine.workflows.tasks import TaskActivities

    if queue == QUEUE:
        t, p = TaskActivities(svc), ProjectActivities(svc)
        imp = ImportActivities(svc)
        return [t.task_start, t.task_finish, t.task_log, p.apply, *imp.all(),
                *BuildActivities(svc).orchestration(), *ModuleActivities(svc).all()]  # fmt: skip
    if queue == REPO_QUEUE:
        from olivine.workflows.publish import PublishActivities

        return [PublishActivities(svc).publish]
    return BuildActivities(svc).builder()  # the build queues
