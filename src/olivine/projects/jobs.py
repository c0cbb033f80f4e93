"""The apply-project job kind: a project file, validated at submit, applied by the
`ApplyProject` workflow (olivine.workflows.projects; its input keeps the TaskInput shape so that
in-flight applies resume across an upgrade)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.projects.schema import ProjectFile
from olivine.tasks.service import add_task


@dataclass
class ApplySubmitted:
    task_id: int
    project: str
    workflow_id: str
    status: str = "pending"


def record_apply(
    ctx: JobContext,
    pf: ProjectFile,
    filename: str,
    project_id: int | None,
    comps: dict[str, str] | None = None,
) -> tuple[ApplySubmitted, Start | None]:
    """`comps`: each repository's comps.xml, already in the object store (name -> sha256)."""
    from olivine.workflows.common import TaskInput

    def write(s: Session) -> tuple[Start, ApplySubmitted]:
        task = add_task(
            s,
            "project-apply",
            submitter_id=ctx.submitter_id,
            summary=f"apply project file {filename} for {pf.name}",
            params={"filename": filename},
            project_id=project_id,
        )
        task.workflow_id = f"project-apply-{task.id}"
        params = {"spec": pf.normalised(), "actor_id": ctx.submitter_id, "comps": comps or {}}
        inp = TaskInput(task.id, params)
        start = Start(task.id, "ApplyProject", task.workflow_id, inp)
        return start, ApplySubmitted(task.id, pf.name, task.workflow_id)

    key = ctx.key("project-apply", project=pf.name, spec=pf.normalised(), comps=comps or {})
    return record_job(ctx.svc.db, key, write, lambda d: ApplySubmitted(**d))


async def submit_apply(
    ctx: JobContext,
    pf: ProjectFile,
    filename: str,
    project_id: int | None,
    comps: dict[str, str] | None = None,
) -> ApplySubmitted:
    return await ctx.submit(record_apply, pf, filename, project_id, comps)
