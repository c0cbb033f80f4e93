"""submit() of the build job kinds: refuse what cannot be built (not in the catalog, never
imported), write the task tree, the build rows (and the batch) and the workflow's start in one
transaction, then start the workflow (`build-<build id>`, `build-batch-<batch id>`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from olivine.batches.service import BatchKind, BatchSubmitted, add_batch_tree
from olivine.builds.jobs import (
    BuildBatchInput,
    BuildInput,
    BuildRequest,
    BuildSubmitted,
)
from olivine.builds.records import add_build
from olivine.builds.sources import RevisionRef, find_revision
from olivine.db.base import Database
from olivine.db.models import Project
from olivine.errors import NotFound
from olivine.jobs.checks import batch_names as check_batch
from olivine.jobs.checks import check_catalog
from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.projects.catalog import project_file
from olivine.services import Services
from olivine.tasks.service import add_task


def _base(svc: Services, project: Project, submitter_id: int | None) -> dict[str, Any]:
    pf = project_file(project)
    base: dict[str, Any] = {
        "project": project.name,
        "project_id": project.id,
        "srpm_arch": pf.arches[0],
        "submitter_id": submitter_id,
    }
    wait = getattr(svc.settings, "build_worker_wait", None)
    if wait:
        base["worker_wait"] = int(wait)
    return base


def record_build(
    ctx: JobContext, project: Project, req: BuildRequest
) -> tuple[BuildSubmitted, Start | None]:
    check_catalog(ctx.svc.db, project, [req.package])
    rev = find_revision(ctx.svc.db, project.name, req.package, req.scm_hash)
    base = _base(ctx.svc, project, ctx.submitter_id)

    def write(s: Session) -> tuple[Start, BuildSubmitted]:
        kind = "scratch build" if req.scratch else "build"
        task = add_task(
            s,
            "build",
            project_id=project.id,
            package_id=rev.package_id,
            submitter_id=ctx.submitter_id,
            summary=f"{kind} {rev.nevr} in {project.name}",
            params={"package": req.package, "scm_hash": req.scm_hash, "scratch": req.scratch},
        )
        build = add_build(
            s, rev.id, task_id=task.id, submitter_id=ctx.submitter_id, scratch=req.scratch
        )
        task.workflow_id = f"build-{build.id}"
        inp = BuildInput(task.id, build.id, package=req.package, **base)
        start = Start(task.id, "Build", task.workflow_id, inp)
        return start, BuildSubmitted(task.id, build.id, project.name, req.package)

    key = ctx.key("build", project=project.name, **vars(req))
    return record_job(ctx.svc.db, key, write, lambda d: BuildSubmitted(**d))


async def submit_build_batch(ctx: JobContext, project: Project, names: list[str]) -> BatchSubmitted:
    return await ctx.submit(record_build_batch, project, names)


async def submit_build(ctx: JobContext, project: Project, req: BuildRequest) -> BuildSubmitted:
    return await ctx.submit(record_build, project, req)


def _revisions(svc: Services, project: Project, names: list[str]) -> dict[str, RevisionRef]:
    revs, missing = {}, []
    for name in names:
        try:
            revs[name] = find_revision(svc.db, project.name, name)
        except NotFound:
            missing.append(name)
    if missing:
        raise NotFound(
            f"never imported into {project.name}: {', '.join(missing)} "
            "(run `olivine import-batch` first)"
        )
    return revs


def batch_names(db: Database, project: Project, packages: list[str], all_: bool) -> list[str]:
    return check_batch(db, project, packages, all_, "build")


def record_build_batch(
    ctx: JobContext, project: Project, names: list[str]
) -> tuple[BatchSubmitted, Start | None]:
    revs = _revisions(ctx.svc, project, check_catalog(ctx.svc.db, project, names))
    base = _base(ctx.svc, project, ctx.submitter_id)
    who = ctx.submitter_id

    def write(s: Session) -> tuple[Start, BatchSubmitted]:
        ids = {n: r.package_id for n, r in revs.items()}
        tree = add_batch_tree(s, BatchKind.BUILD, project, ids, who, "build")
        builds = {}
        for name, (_, child) in tree.children.items():
            build = add_build(s, revs[name].id, task_id=child.id, batch_id=tree.batch.id,
                              submitter_id=who)  # fmt: skip
            child.workflow_id = f"build-{build.id}"
            child.summary = f"build {revs[name].nevr} in {project.name}"
            builds[name] = build.id
        refs, batch_id, task_id = tree.refs(builds), tree.batch.id, tree.task.id
        inp = BuildBatchInput(task_id, batch_id, items=refs, **base)
        start = Start(task_id, "BuildBatch", f"build-batch-{batch_id}", inp)
        return start, BatchSubmitted.started(BatchKind.BUILD, batch_id, task_id, project, refs)

    key = ctx.key("build-batch", project=project.name, packages=list(revs))
    return record_job(ctx.svc.db, key, write, lambda d: BatchSubmitted(**d))
