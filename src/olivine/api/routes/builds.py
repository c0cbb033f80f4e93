"""Builds: start one (or a scratch build), a batch in BuildRequires order, retry a batch; show a
build with each arch's status, reason and build root; a mock config for the project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.params import IdPath
from olivine.api.temporal import temporal
from olivine.auth.policy import Action
from olivine.builds import batches, records
from olivine.builds.backends.mock import mock_config
from olivine.builds.submit import Submitted, submit_batch, submit_build
from olivine.db.models import Project
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.schema import BUILD_ARCHES, ProjectFile
from olivine.workflows.client import start
from olivine.workflows.common import TaskInput

router = APIRouter(prefix="/api/v1", tags=["builds"])


class BuildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: str = Field(max_length=255)
    scm_hash: str | None = Field(None, max_length=64, description="forge commit of an import")
    scratch: bool = False


class BuildStarted(BaseModel):
    task_id: int
    build_id: int
    project: str
    package: str
    status: str


class ArchOut(BaseModel):
    arch: str
    status: str
    reason: str | None
    task_id: int | None
    buildroot: list[dict[str, Any]]


class BuildOut(BaseModel):
    id: int
    project: str
    package: str
    nevr: str | None
    status: str
    reason: str | None
    scratch: bool
    forge_commit: str | None
    import_revision_id: int
    task_id: int | None
    batch_id: int | None
    arches: list[ArchOut]
    created_at: datetime
    finished_at: datetime | None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[str] = Field(default_factory=list)
    all: bool = False


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


async def _start(request: Request, sub: Submitted) -> None:
    await start(
        await temporal(request), sub.workflow, TaskInput(sub.task_id, sub.params), sub.workflow_id
    )


@router.post("/projects/{project}/builds", response_model=BuildStarted, status_code=202)
async def build_package(
    project: str, body: BuildIn, request: Request, svc: Svc, who: Caller
) -> BuildStarted:
    require_user(who)
    action = Action.SCRATCH_BUILD if body.scratch else Action.BUILD
    p = await run_in_threadpool(project_for, svc, who, project, action)
    sub = await run_in_threadpool(
        submit_build, svc, p, body.package, who.user_id, body.scm_hash, body.scratch
    )
    await _start(request, sub)
    return BuildStarted(
        task_id=sub.task_id,
        build_id=sub.build_ids[0],
        project=project,
        package=body.package,
        status="pending",
    )


def _project_of_build(svc: Svc, build_id: int) -> Project:
    info = records.get_build(svc.db, build_id)
    with svc.db.session() as s:
        p = s.get(Project, info.project_id)
        assert p is not None
        s.expunge(p)
        return p


@router.get("/builds/{build_id}", response_model=BuildOut)
def show_build(build_id: IdPath, svc: Svc, who: Caller) -> BuildOut:
    p = project_for(svc, who, _project_of_build(svc, build_id).name, Action.READ)
    b = records.get_build(svc.db, build_id)
    arches = [
        ArchOut(
            arch=a.arch, status=a.status, reason=a.reason, task_id=a.task_id, buildroot=a.entries
        )
        for a in records.arch_records(svc.db, build_id)
    ]
    return BuildOut(
        id=b.id,
        project=p.name,
        package=b.package,
        nevr=b.nevr,
        status=b.status,
        reason=b.reason,
        scratch=b.scratch,
        forge_commit=b.forge_commit,
        import_revision_id=b.import_revision_id,
        task_id=b.task_id,
        batch_id=b.batch_id,
        arches=arches,
        created_at=b.created_at,
        finished_at=b.finished_at,
    )


class BuildFile(BaseModel):
    name: str
    sha256: str
    url: str


@router.get("/builds/{build_id}/files", response_model=list[BuildFile])
def build_files(build_id: IdPath, svc: Svc, who: Caller) -> list[BuildFile]:
    """The SRPM and RPMs of a finished build with download links (for a scratch build, the
    only place they are published)."""
    project_for(svc, who, _project_of_build(svc, build_id).name, Action.READ)
    b = records.get_build(svc.db, build_id)
    result = svc.tasks.get(b.task_id).result if b.task_id else None
    files = (result or {}).get("rpms", [])
    return [
        BuildFile(name=f["name"], sha256=f["sha256"], url=svc.store.url_for(f["sha256"], f["name"]))
        for f in files
    ]


def _catalog(p: Project) -> list[str]:
    return [e["name"] for e in p.spec.get("packages", [])]


@router.post("/projects/{project}/build-batch", response_model=BatchOut, status_code=202)
async def build_batch(
    project: str, body: BatchIn, request: Request, svc: Svc, who: Caller
) -> BatchOut:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.BUILD)
    names = _catalog(p) if body.all else body.packages
    if not names:
        raise ValidationFailed("name packages to build, or ask for all of them")
    sub = await run_in_threadpool(submit_batch, svc, p, names, who.user_id)
    await _start(request, sub)
    assert sub.batch_id is not None
    return await run_in_threadpool(_batch_out, svc, sub.batch_id, project)


def _batch_out(svc: Svc, batch_id: int, project: str) -> BatchOut:
    b = batches.get(svc.db, batch_id)
    items = [
        BatchItemOut(package=i.package, status=i.status, task_id=i.task_id, reason=i.reason)
        for i in b.items
    ]
    return BatchOut(
        batch_id=b.id, task_id=b.task_id, project=project, counts=b.counts(), items=items
    )


def _batch_project(svc: Svc, batch_id: int) -> Project:
    b = batches.get(svc.db, batch_id)
    with svc.db.session() as s:
        p = s.get(Project, b.project_id)
        if p is None:
            raise NotFound(f"build batch {batch_id} does not exist")
        s.expunge(p)
        return p


@router.get("/build-batches/{batch_id}", response_model=BatchOut)
def show_batch(batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    p = project_for(svc, who, _batch_project(svc, batch_id).name, Action.READ)
    return _batch_out(svc, batch_id, p.name)


@router.post("/build-batches/{batch_id}/retry", response_model=BatchOut, status_code=202)
async def retry_batch(batch_id: IdPath, request: Request, svc: Svc, who: Caller) -> BatchOut:
    """A new batch of the packages that did not build (failed, skipped, cancelled)."""
    require_user(who)
    old = await run_in_threadpool(_batch_project, svc, batch_id)
    p = await run_in_threadpool(project_for, svc, who, old.name, Action.BUILD)
    names = await run_in_threadpool(batches.retry_packages, svc.db, batch_id)
    sub = await run_in_threadpool(submit_batch, svc, p, names, who.user_id)
    await _start(request, sub)
    assert sub.batch_id is not None
    return await run_in_threadpool(_batch_out, svc, sub.batch_id, p.name)


@router.get("/projects/{project}/mock-config/{arch}", response_class=PlainTextResponse)
def project_mock_config(project: str, arch: str, request: Request, svc: Svc, who: Caller) -> str:
    """A mock config building against the project's served repos (`all` first)."""
    p = project_for(svc, who, project, Action.READ)
    if arch not in BUILD_ARCHES | {"noarch"}:
        raise ValidationFailed(f"unknown arch {arch!r}")
    base = svc.settings.public_url or str(request.base_url)
    return mock_config(ProjectFile.model_validate(p.spec), arch, base)
