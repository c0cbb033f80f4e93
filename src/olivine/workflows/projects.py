"""Apply a project file: the workflow that proves the Temporal wiring end to end."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from olivine.projects.groups import unstash
    from olivine.projects.schema import ProjectFile
    from olivine.projects.service import ProjectService
    from olivine.services import Services
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.common import DEFAULT_RETRY, SHORT, TaskInput
    from olivine.workflows.publish import PublishRequest, request_publish
    from olivine.workflows.tasks import run_task


@dataclass
class RepublishInput:
    project: str
    repositories: list[dict[str, Any]]  # RepositoryChange, as the apply returned it
    submitter_id: int | None = None


class ProjectActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="project_apply")
    def apply(self, inp: TaskInput) -> dict[str, Any]:
        pf = ProjectFile.model_validate(inp.params["spec"])
        log = TaskLogWriter(self.svc.tasks, inp.task_id)
        log.line(f"applying project file for {pf.name}")
        comps = unstash(self.svc.store, inp.params.get("comps") or {})
        result = ProjectService(self.svc.db).apply(pf, inp.params.get("actor_id"), comps)
        for change in result.changes or ["unchanged"]:
            log.line(change)
        log.close()
        with self.svc.db.session() as s:
            from olivine.db.models import Task

            task = s.get(Task, inp.task_id)
            if task is not None and task.project_id is None:
                task.project_id = result.project_id
        return asdict(result)

    @activity.defn(name="project_republish")
    async def republish(self, inp: RepublishInput) -> str:
        """Ask the project's publisher for the repositories whose filters or groups changed
        (a full selection: only those whose content differs get a new revision)."""
        what = ", ".join(f"{r['name']} ({', '.join(r['why'])})" for r in inp.repositories)
        req = PublishRequest(
            full=True, reason=f"project file applied: {what}", submitter_id=inp.submitter_id
        )
        return await request_publish(activity.client(), inp.project, req)


@workflow.defn(name="ApplyProject")
class ApplyProjectWorkflow:
    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        async def body() -> dict[str, Any]:
            res: dict[str, Any] = await workflow.execute_activity_method(
                ProjectActivities.apply,
                inp,
                start_to_close_timeout=SHORT,
                retry_policy=DEFAULT_RETRY,
            )
            # Applies started before this step existed replay without it.
            if res["republish"] and workflow.patched("apply-republish"):
                await workflow.execute_activity_method(
                    ProjectActivities.republish,
                    RepublishInput(res["project"], res["republish"], inp.params.get("actor_id")),
                    start_to_close_timeout=SHORT,
                    retry_policy=DEFAULT_RETRY,
                )
            return res

        return await run_task(inp.task_id, body)
