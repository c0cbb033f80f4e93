"""submit() of the import job kinds: check the catalog, write the task tree (and the batch) and
the workflow's start in one transaction, then start the workflow (`import-<task id>`,
`import-batch-<batch id>`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from olivine.batches.service import BatchKind, BatchSubmitted, add_batch_tree
from olivine.db.base import Database
from olivine.db.models import Project
from olivine.imports import records
from olivine.imports.jobs import ImportBatchInput, ImportInput, ImportRequest, ImportSubmitted
from olivine.jobs.checks import batch_names as check_batch
from olivine.jobs.checks import check_catalog
from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.tasks.service import add_task


def record_import(
    ctx: JobContext, project: Project, req: ImportRequest
) -> tuple[ImportSubmitted, Start | None]:
    check_catalog(ctx.svc.db, project, [req.package])
    pkg_id = records.package_id(ctx.svc.db, req.package)

    def write(s: Session) -> tuple[Start, ImportSubmitted]:
        inp = ImportInput(0, project.name, req.package, submitter_id=ctx.submitter_id)
        inp.ref, inp.srpm_sha256, inp.srpm_name = req.ref, req.srpm_sha256, req.srpm_name
        task = add_task(
            s,
            "import",
            project_id=project.id,
            package_id=pkg_id,
            submitter_id=ctx.submitter_id,
            summary=f"import {req.package} into {project.name}",
            params={"package": req.package, "ref": req.ref, "srpm_sha256": req.srpm_sha256},
        )
        task.workflow_id = f"import-{task.id}"
        inp.task_id = task.id
        start = Start(task.id, "Import", task.workflow_id, inp)
        return start, ImportSubmitted(task.id, project.name, req.package)

    key = ctx.key("import", project=project.name, **vars(req))
    return record_job(ctx.svc.db, key, write, lambda d: ImportSubmitted(**d))


async def submit_import(ctx: JobContext, project: Project, req: ImportRequest) -> ImportSubmitted:
    return await ctx.submit(record_import, project, req)


def batch_names(db: Database, project: Project, packages: list[str], all_: bool) -> list[str]:
    return check_batch(db, project, packages, all_, "import")


def record_import_batch(
    ctx: JobContext, project: Project, names: list[str]
) -> tuple[BatchSubmitted, Start | None]:
    names = check_catalog(ctx.svc.db, project, names)
    ids = {n: records.package_id(ctx.svc.db, n) for n in names}
    who = ctx.submitter_id

    def write(s: Session) -> tuple[Start, BatchSubmitted]:
        tree = add_batch_tree(s, BatchKind.IMPORT, project, ids, who, "import")
        for _, child in tree.children.values():
            child.workflow_id = f"import-{child.id}"
        refs, batch_id, task_id = tree.refs(), tree.batch.id, tree.task.id
        inp = ImportBatchInput(task_id, batch_id, project.name, who, refs)
        start = Start(task_id, "ImportBatch", f"import-batch-{batch_id}", inp)
        return start, BatchSubmitted.started(BatchKind.IMPORT, batch_id, task_id, project, refs)

    key = ctx.key("import-batch", project=project.name, packages=names)
    return record_job(ctx.svc.db, key, write, lambda d: BatchSubmitted(**d))


async def submit_import_batch(
    ctx: JobContext, project: Project, names: list[str]
) -> BatchSubmitted:
    return await ctx.submit(record_import_batch, project, names)
