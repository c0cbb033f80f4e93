"""The repository job kinds: `publish` (select every repository's packages again) and
`rollback` (serve an earlier revision again). Both go through the project's publisher
(olivine.workflows.publish), which changes what is served one step at a time; each is a task
with a submitter and a log. Workflows: olivine.workflows.repo_jobs (`Publish`, `Rollback`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from olivine.db.models import Project
from olivine.errors import NotFound
from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.tasks.service import add_task


@dataclass
class RepoJobInput:
    """`Publish` (rollback None) and `Rollback` workflows' input."""

    task_id: int
    project: str = ""
    submitter_id: int | None = None
    reason: str = ""
    repo: str = ""
    to: int = 0
    arch: str | None = None


@dataclass
class RepoJobResult:
    project: str
    repository: str | None = None
    revision: int | None = None
    arches: list[str] = field(default_factory=list)
    publish_task_id: int | None = None  # the publisher's repo-publish task


@dataclass
class RepoJobSubmitted:
    task_id: int
    project: str
    workflow_id: str
    status: str = "pending"


def _record(
    ctx: JobContext, project: Project, kind: str, inp: RepoJobInput, summary: str
) -> tuple[RepoJobSubmitted, Start | None]:
    workflow = {"repo-publish-request": "Publish", "repo-rollback": "Rollback"}[kind]

    def write(s: Session) -> tuple[Start, RepoJobSubmitted]:
        task = add_task(
            s, kind, project_id=project.id, submitter_id=ctx.submitter_id, summary=summary
        )
        task.workflow_id = f"{kind}-{task.id}"
        inp.task_id = task.id
        start = Start(task.id, workflow, task.workflow_id, inp)
        return start, RepoJobSubmitted(task.id, project.name, task.workflow_id)

    key = ctx.key(kind, project=project.name, repo=inp.repo, to=inp.to, arch=inp.arch)
    return record_job(ctx.svc.db, key, write, lambda d: RepoJobSubmitted(**d))


def record_publish(
    ctx: JobContext, project: Project, reason: str
) -> tuple[RepoJobSubmitted, Start | None]:
    inp = RepoJobInput(0, project.name, ctx.submitter_id, reason)
    summary = f"publish every repository of {project.name}"
    return _record(ctx, project, "repo-publish-request", inp, summary)


def record_rollback(
    ctx: JobContext, project: Project, repo: str, to: int, arch: str | None
) -> tuple[RepoJobSubmitted, Start | None]:
    _check_revision(ctx, project.name, repo, to, arch)
    inp = RepoJobInput(0, project.name, ctx.submitter_id, "rollback", repo, to, arch)
    where = f" ({arch})" if arch else ""
    summary = f"roll {project.name}/{repo}{where} back to revision {to}"
    return _record(ctx, project, "repo-rollback", inp, summary)


def _check_revision(ctx: JobContext, project: str, repo: str, to: int, arch: str | None) -> None:
    """Refuse at once a revision that does not exist (the job would only fail on it)."""
    from olivine.repos.service import list_revisions

    if not any(r.number == to for r in list_revisions(ctx.svc.db, project, repo, arch)):
        where = f" of arch {arch}" if arch else ""
        raise NotFound(f"{project}/{repo} has no revision {to}{where}")


async def submit_publish(ctx: JobContext, project: Project, reason: str) -> RepoJobSubmitted:
    return await ctx.submit(record_publish, project, reason)


async def submit_rollback(
    ctx: JobContext, project: Project, repo: str, to: int, arch: str | None = None
) -> RepoJobSubmitted:
    return await ctx.submit(record_rollback, project, repo, to, arch)
