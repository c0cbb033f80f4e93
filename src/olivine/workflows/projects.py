"""Apply a project file: the workflow that proves the Temporal wiring end to end."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from olivine.projects.schema import ProjectFile
    from olivine.projects.service import ProjectService
    from olivine.services import Services
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.common import DEFAULT_RETRY, SHORT, TaskInput
    from olivine.workflows.tasks import run_task


class ProjectActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="project_apply")
    def apply(self, inp: TaskInput) -> dict[str, Any]:
        pf = ProjectFile.model_validate(inp.params["spec"])
        log = TaskLogWriter(self.svc.tasks, inp.task_id)
        log.line(f"applying project file for {pf.name}")
        result = ProjectService(self.svc.db).apply(pf, inp.params.get("actor_id"))
        for change in result.changes or ["unchanged"]:
            log.line(change)
        log.close()
        with self.svc.db.session() as s:
            from olivine.db.models import Task

            task = s.get(Task, inp.task_id)
            if task is not None and task.project_id is None:
                task.project_id = result.project_id
        return asdict(result)


@workflow.defn(name="ApplyProject")
class ApplyProjectWorkflow:
    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        async def body() -> dict[str, Any]:
            return await workflow.execute_activity_method(
                ProjectActivities.apply,
                inp,
                start_to_close_timeout=SHORT,
                retry_policy=DEFAULT_RETRY,
            )

        return await run_task(inp.task_id, body)
