"""Builds: start one (or a scratch build), a batch in BuildRequires order, retry a batch; show a
build with each arch's status, reason and build root; a mock config for the project."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.params import IdPath, Limit, Offset
from olivine.api.routes.batches import batch_out, retry
from olivine.api.routes.batches import show_batch as show_any_batch
from olivine.api.schemas import BatchOut, Page, Utc
from olivine.api.temporal import job_context
from olivine.auth.policy import Action
from olivine.builds import files, queries, records
from olivine.builds.backends.mock import mock_config
from olivine.builds.jobs import BuildRequest
from olivine.builds.service import submit_build, submit_build_batch
from olivine.builds.submit import batch_names
from olivine.db.models import Project
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.catalog import project_file
from olivine.projects.schema import BUILD_ARCHES

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
    created_at: Utc
    finished_at: Utc | None


class BuildLineOut(BaseModel):
    """A build in `olivine build list P`."""

    id: int
    package: str
    nevr: str
    status: str
    reason: str | None
    scratch: bool
    task_id: int | None
    arches: dict[str, str] = Field(description="arch -> status of its arch build")
    created_at: Utc
    finished_at: Utc | None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[str] = Field(default_factory=list)
    all: bool = False


@router.post("/projects/{project}/builds", response_model=BuildStarted, status_code=202)
async def build_package(
    project: str, body: BuildIn, request: Request, svc: Svc, who: Caller
) -> BuildStarted:
    require_user(who)
    action = Action.SCRATCH_BUILD if body.scratch else Action.BUILD
    p = await run_in_threadpool(project_for, svc, who, project, action)
    req = BuildRequest(body.package, body.scm_hash, body.scratch)
    return BuildStarted(**asdict(await submit_build(job_context(request, who), p, req)))


@router.get("/projects/{project}/builds", response_model=Page[BuildLineOut])
def project_builds(
    project: str,
    svc: Svc,
    who: Caller,
    package: str | None = Query(None, max_length=255),
    state: str | None = Query(None, max_length=32, description="a build status"),
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[BuildLineOut]:
    """The project's builds, newest first, of one package and in one state if asked."""
    p = project_for(svc, who, project, Action.READ)
    if state is not None and state not in records.STATUSES:
        raise ValidationFailed(
            f"unknown build state {state!r} (known: {', '.join(records.STATUSES)})"
        )
    total, hits = queries.list_builds(svc.db, p.id, package, state, offset, limit)
    items = [_line(h) for h in hits]
    return Page[BuildLineOut](items=items, total=total, offset=offset, limit=limit)


def _line(h: queries.BuildHit) -> BuildLineOut:
    ln = h.line
    return BuildLineOut(
        id=ln.id, package=h.package, nevr=ln.nevr, status=ln.status, reason=ln.reason,
        scratch=ln.scratch, task_id=ln.task_id, arches=ln.arches, created_at=ln.created_at,
        finished_at=ln.finished_at,
    )  # fmt: skip


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
    b = _settled(svc, records.get_build(svc.db, build_id))
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


def _settled(svc: Svc, b: records.BuildInfo) -> records.BuildInfo:
    """A build still pending or building whose task ended failed or canceled says that end and
    the task's reason, as the lists do (builds.queries._settled)."""
    if b.status not in queries.OPEN or b.task_id is None:
        return b
    t = svc.tasks.get(b.task_id)
    if t.status not in ("failed", "canceled"):
        return b
    return replace(b, status=t.status, reason=b.reason or t.error, finished_at=t.finished_at)


class BuildFileOut(BaseModel):
    name: str
    sha256: str
    url: str


@router.get("/builds/{build_id}/files", response_model=list[BuildFileOut])
def build_files(build_id: IdPath, svc: Svc, who: Caller) -> list[BuildFileOut]:
    """The SRPM and RPMs of a finished build with download links (for a scratch build, the
    only place they are published)."""
    project_for(svc, who, _project_of_build(svc, build_id).name, Action.READ)
    return [BuildFileOut(**asdict(f)) for f in files.build_files(svc.db, svc.store, build_id)]


@router.post("/projects/{project}/build-batch", response_model=BatchOut, status_code=202)
async def build_batch(
    project: str, body: BatchIn, request: Request, svc: Svc, who: Caller
) -> BatchOut:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.BUILD)
    names = await run_in_threadpool(batch_names, svc.db, p, body.packages, body.all)
    return batch_out(await submit_build_batch(job_context(request, who), p, names))


@router.get("/build-batches/{batch_id}", response_model=BatchOut)
def show_batch(batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    """The old path of GET /api/v1/batches/{id}."""
    return show_any_batch(batch_id, svc, who)


@router.post("/build-batches/{batch_id}/retry", response_model=BatchOut, status_code=202)
async def retry_batch(batch_id: IdPath, request: Request, svc: Svc, who: Caller) -> BatchOut:
    """The old path of POST /api/v1/batches/{id}/retry."""
    return await retry(request, svc, who, batch_id)


@router.get("/projects/{project}/mock-config/{arch}", response_class=PlainTextResponse)
def project_mock_config(project: str, arch: str, request: Request, svc: Svc, who: Caller) -> str:
    """A mock config building against the project's served repos (`all` first)."""
    p = project_for(svc, who, project, Action.READ)
    if arch not in BUILD_ARCHES | {"noarch"}:
        raise ValidationFailed(f"unknown arch {arch!r}")
    pf = project_file(p)
    if arch not in [*pf.arches, "noarch"]:
        raise NotFound(
            f"project {p.name} does not build {arch} (its arches: {','.join(pf.arches)})"
        )
    base = svc.settings.public_url or str(request.base_url)
    return mock_config(pf, arch, base)
