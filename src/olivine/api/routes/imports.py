"""Imports: start one (from upstream or an uploaded SRPM) or a batch; a package's import
history and the diff of an import against its upstream."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.params import IdPath, Limit
from olivine.api.routes.batches import batch_out, retry, show_project_batch
from olivine.api.schemas import BatchOut
from olivine.api.temporal import job_context
from olivine.auth.policy import Action
from olivine.db.models import Project
from olivine.imports import records
from olivine.imports.diff import import_diff
from olivine.imports.jobs import ImportRequest
from olivine.imports.service import ProjectRef, submit_import, submit_import_batch
from olivine.imports.submit import batch_names
from olivine.projects.catalog import project_file

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


class DiffOut(BaseModel):
    revision: int
    nevr: str
    diff: str


def _ref(p: Project) -> ProjectRef:
    return ProjectRef(p.id, project_file(p))


async def _submit(
    request: Request, svc: Svc, who: Caller, project: str, req: ImportRequest
) -> ImportOut:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    out = await submit_import(job_context(request, who), p, req)
    return ImportOut(**asdict(out))


@router.post("/projects/{project}/imports", response_model=ImportOut, status_code=202)
async def import_package(
    project: str, body: ImportIn, request: Request, svc: Svc, who: Caller
) -> ImportOut:
    return await _submit(request, svc, who, project, ImportRequest(body.package, body.ref))


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
    await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    put = await run_in_threadpool(svc.store.put_stream, file.file)
    name = file.filename or f"{package}.src.rpm"
    return await _submit(request, svc, who, project, ImportRequest(package, None, put.sha256, name))


@router.post("/projects/{project}/import-batch", response_model=BatchOut, status_code=202)
async def import_batch(
    project: str, body: BatchIn, request: Request, svc: Svc, who: Caller
) -> BatchOut:
    """Import many packages (or all); `retry` is the old spelling of
    POST /api/v1/batches/{id}/retry."""
    require_user(who)
    if body.retry is not None:
        return await retry(request, svc, who, body.retry, project)
    p = await run_in_threadpool(project_for, svc, who, project, Action.IMPORT)
    names = await run_in_threadpool(batch_names, svc.db, p, body.packages, body.all)
    return batch_out(await submit_import_batch(job_context(request, who), p, names))


@router.get("/projects/{project}/import-batches/{batch_id}", response_model=BatchOut)
def show_batch(project: str, batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    """The old path of GET /api/v1/projects/{project}/batches/{id}."""
    return show_project_batch(project, batch_id, svc, who)


@router.get(
    "/projects/{project}/packages/{package}/imports", response_model=list[records.RevisionView]
)
def package_history(
    project: str, package: str, svc: Svc, who: Caller, limit: Limit = 100
) -> list[records.RevisionView]:
    p = project_for(svc, who, project, Action.READ)
    return records.history(svc.db, p.id, package, limit)  # the dataclass is the answer's model


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
