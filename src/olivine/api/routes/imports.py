"""Imports: start one (from upstream or an uploaded SRPM) or a batch; a package's import
history and the diff of an import against its upstream."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.params import IdPath, Limit
from olivine.api.temporal import temporal
from olivine.auth.policy import Action
from olivine.db.models import Project
from olivine.errors import NotFound, ValidationFailed
from olivine.imports import batches, records
from olivine.imports.diff import import_diff
from olivine.imports.service import ProjectRef
from olivine.projects.schema import ProjectFile
from olivine.workflows.client import start
from olivine.workflows.common import TaskInput

router = APIRouter(prefix="/api/v1", tags=["imports"])


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: str = Field(max_length=255)
    ref: str | None = Field(None, max_length=255, description="upstream tag, branch or commit")


class ImportOut(BaseModel):
    task_id: int
    project: str
    package: str
    status: str


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[str] = Field(default_factory=list)
    all: bool = False
    retry: int | None = Field(None, description="an import batch whose failed items to rerun")


class BatchItemOut(BaseModel):
    package: str
    status: str
    task_id: int | None
    reason: str | None


class BatchOut(BaseModel):
    batch_id: int
    task_id: int | None
    project: str
    counts: dict[str, int]
    items: list[BatchItemOut]


class RevisionOut(BaseModel):
    id: int
    nevr: str
    epoch: int
    version: str
    release: str
    upstream_kind: str
    upstream_url: str
    upstream_branch: str | None
    upstream_ref: str | None
    upstream_commit: str | None
    patch_url: str | None
    patch_commit: str | None
    forge_repo: str
    forge_branch: str
    forge_commit: str
    forge_tag: str
    lookaside: list[dict[str, Any]]
    submitter_id: int | None
    task_id: int | None
    created_at: datetime


class DiffOut(BaseModel):
    revision: int
    nevr: str
    diff: str


def _ref(p: Project) -> ProjectRef:
    return ProjectRef(p.id, ProjectFile.model_validate(p.spec))


def _catalog(p: Project) -> list[str]:
    return [e["name"] for e in p.spec.get("packages", [])]


async def _start_import(
    request: Request, svc: Svc, who: Caller, project: Project, package: str, extra: dict[str, Any]
) -> ImportOut:
    if package not in _catalog(project):
        raise NotFound(f"package {package} is not in the catalog of project {project.name}")
    pkg_id = await run_in_threadpool(records.package_id, svc.db, package)
    params = {"project": project.name, "package": package, "submitter_id": who.user_id, **extra}
    task_id = await run_in_threadpool(
        svc.tasks.create,
        "import",
        project_id=project.id,
        package_id=pkg_id,
        submitter_id=who.user_id,
        summary=f"import {package} into {project.name}",
        params=params,
    )
    wf_id = f"import-{task_id}"
    await run_in_threadpool(svc.tasks.set_workflow, task_id, wf_id)
    await start(await temporal(request), "Import", TaskInput(task_id, params), wf_id)
    return ImportOut(task_id=task_id, project=project.name, package=package, status="pending")


@router.post("/projects/{project}/imports", response_model=ImportOut, status_code=202)
async def import_package(
    project: str, body: ImportIn, request: Request, svc: Svc, who: Caller
) -> ImportOut:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    return await _start_import(request, svc, who, p, body.package, {"ref": body.ref})


@router.post("/projects/{project}/imports/srpm", response_model=ImportOut, status_code=202)
async def import_srpm(
    project: str,
    request: Request,
    svc: Svc,
    who: Caller,
    package: str = Form(...),
    file: UploadFile = File(...),
) -> ImportOut:
    """Import an uploaded source RPM (`olivine import P PKG --srpm FILE`)."""
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    put = await run_in_threadpool(svc.store.put_stream, file.file)
    extra = {"srpm_sha256": put.sha256, "srpm_name": file.filename or f"{package}.src.rpm"}
    return await _start_import(request, svc, who, p, package, extra)


@router.post("/projects/{project}/import-batch", response_model=BatchOut, status_code=202)
async def import_batch(
    project: str, body: BatchIn, request: Request, svc: Svc, who: Caller
) -> BatchOut:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    if body.retry is not None:
        old = await run_in_threadpool(batches.get, svc.db, body.retry)
        if old.project_id != p.id:
            raise NotFound(f"import batch {body.retry} is not a batch of project {project}")
        names = [i.package for i in await run_in_threadpool(batches.failed_items, svc.db, old.id)]
        if not names:
            raise ValidationFailed(f"import batch {body.retry} has no failed items to retry")
    else:
        names = _catalog(p) if body.all else body.packages
        unknown = sorted(set(names) - set(_catalog(p)))
        if unknown:
            raise NotFound(f"not in the catalog of project {project}: {', '.join(unknown)}")
    batch = await run_in_threadpool(batches.create, svc.db, p.id, names, who.user_id)
    task_id = await run_in_threadpool(
        svc.tasks.create,
        "import-batch",
        project_id=p.id,
        submitter_id=who.user_id,
        summary=f"import {len(batch.items)} packages into {project}",
        params={"batch_id": batch.id},
    )
    items, item_tasks = [], {}
    for item in batch.items:
        child = await run_in_threadpool(
            svc.tasks.create,
            "import",
            project_id=p.id,
            parent_id=task_id,
            submitter_id=who.user_id,
            summary=f"import {item.package} into {project}",
            params={"project": project, "package": item.package, "batch_id": batch.id},
        )
        item_tasks[item.item_id] = child
        items.append({"item_id": item.item_id, "task_id": child, "package": item.package})
    await run_in_threadpool(batches.attach_tasks, svc.db, batch.id, task_id, item_tasks)
    wf_id = f"import-batch-{batch.id}"
    await run_in_threadpool(svc.tasks.set_workflow, task_id, wf_id)
    params = {"batch_id": batch.id, "project": project, "items": items, "submitter_id": who.user_id}
    await start(await temporal(request), "ImportBatch", TaskInput(task_id, params), wf_id)
    return await run_in_threadpool(_batch_out, svc, batch.id, project)


def _batch_out(svc: Svc, batch_id: int, project: str) -> BatchOut:
    b = batches.get(svc.db, batch_id)
    items = [
        BatchItemOut(package=i.package, status=i.status, task_id=i.task_id, reason=i.reason)
        for i in b.items
    ]
    return BatchOut(
        batch_id=b.id, task_id=b.task_id, project=project, counts=b.counts(), items=items
    )


@router.get("/projects/{project}/import-batches/{batch_id}", response_model=BatchOut)
def show_batch(project: str, batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    p = project_for(svc, who, project, Action.READ)
    if batches.get(svc.db, batch_id).project_id != p.id:
        raise NotFound(f"import batch {batch_id} is not a batch of project {project}")
    return _batch_out(svc, batch_id, project)


@router.get("/projects/{project}/packages/{package}/imports", response_model=list[RevisionOut])
def package_history(
    project: str, package: str, svc: Svc, who: Caller, limit: Limit = 100
) -> list[RevisionOut]:
    p = project_for(svc, who, project, Action.READ)
    return [RevisionOut(**asdict(r)) for r in records.history(svc.db, p.id, package, limit)]


@router.get("/projects/{project}/packages/{package}/imports/diff", response_model=DiffOut)
def package_import_diff(
    project: str, package: str, svc: Svc, who: Caller, rev: str | None = None
) -> DiffOut:
    """Upstream tree vs imported tree of an import (default: the latest; `rev`: a revision
    id, forge commit, tag or NEVR)."""
    p = project_for(svc, who, project, Action.READ)
    r = records.get_revision(svc.db, p.id, package, rev)
    text = import_diff(svc.db, p.id, package, r.id)
    return DiffOut(revision=r.id, nevr=r.nevr, diff=text)
