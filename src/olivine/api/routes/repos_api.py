"""Repositories in /api/v1: list, revisions, diff, rollback, publish, and `olivine rpm import`
uploads; and `install()`, which serves the repositories themselves (/repos/...) from the app."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowFailureError

from olivine.api.deps import Caller, Svc, project_for, require_user, token_from
from olivine.api.schemas import Utc
from olivine.api.temporal import job_context, temporal
from olivine.auth.policy import ANONYMOUS, Action, allowed
from olivine.auth.service import AuthService
from olivine.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from olivine.repos.http import Authorize
from olivine.repos.jobs import submit_publish, submit_rollback
from olivine.repos.rpmmeta import check_rpm_file
from olivine.repos.service import (
    ArtifactInfo,
    diff_revisions,
    ingest_rpm,
    list_repos,
    list_revisions,
)
from olivine.repos.serving import ProjectRef
from olivine.services import Services
from olivine.workflows.publish import PublishRequest, request_publish

router = APIRouter(prefix="/api/v1/projects/{project}", tags=["repositories"])
ROLLBACK_WAIT = 30  # seconds


class RepoOut(BaseModel):
    name: str
    active: bool
    arches: dict[str, int] = Field(description="arch -> current revision number")


class RevisionOut(BaseModel):
    repository: str
    arch: str
    number: int
    package_count: int
    added: int
    removed: int
    created_at: Utc
    current: bool
    task_id: int | None


class DiffOut(BaseModel):
    repository: str
    arch: str
    from_number: int
    to_number: int
    added: list[str]
    removed: list[str]


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: int = Field(ge=1, description="the revision number to make current again")
    arch: str | None = Field(None, description="one arch; default every arch with that revision")


class RollbackOut(BaseModel):
    repository: str
    revision: int
    arches: list[str] = Field(description="the arches now serving it (empty while running)")
    task_id: int
    status: str


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full: bool = Field(True, description="select every repository's packages again")


class PublishOut(BaseModel):
    project: str
    workflow_id: str
    task_id: int


class ArtifactOut(BaseModel):
    filename: str
    nevra: str
    sha256: str
    created: bool


class RpmImportOut(BaseModel):
    project: str
    artifacts: list[ArtifactOut]
    workflow_id: str | None


@router.get("/repos", response_model=list[RepoOut])
def repos(project: str, svc: Svc, who: Caller) -> list[RepoOut]:
    project_for(svc, who, project, Action.READ)
    return [
        RepoOut(name=r.name, active=r.active, arches=r.arches) for r in list_repos(svc.db, project)
    ]


@router.get("/repos/{repo}/revisions", response_model=list[RevisionOut])
def revisions(
    project: str, repo: str, svc: Svc, who: Caller, arch: str | None = None
) -> list[RevisionOut]:
    project_for(svc, who, project, Action.READ)
    return [RevisionOut(**r.__dict__) for r in list_revisions(svc.db, project, repo, arch)]


@router.get("/repos/{repo}/diff", response_model=DiffOut)
def diff(
    project: str,
    repo: str,
    svc: Svc,
    who: Caller,
    arch: str = Query(...),
    from_: int = Query(..., alias="from"),
    to: int = Query(...),
) -> DiffOut:
    """What changed from revision `from` to revision `to` of one repo arch."""
    project_for(svc, who, project, Action.READ)
    return DiffOut(**diff_revisions(svc.db, project, repo, arch, from_, to).__dict__)


@router.post("/repos/{repo}/rollback", response_model=RollbackOut)
async def rollback_repo(
    project: str, repo: str, body: RollbackIn, request: Request, svc: Svc, who: Caller
) -> RollbackOut:
    """Serve an earlier revision again, through the project's publisher (a task with a log);
    answers when it is done, or after ROLLBACK_WAIT with the task still running."""
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.MANAGE)
    sub = await submit_rollback(job_context(request, who), p, repo, body.to, body.arch)
    handle = (await temporal(request)).get_workflow_handle(sub.workflow_id)
    try:
        res = await asyncio.wait_for(handle.result(), ROLLBACK_WAIT)
    except TimeoutError:
        return RollbackOut(
            repository=repo, revision=body.to, arches=[], task_id=sub.task_id, status="running"
        )
    except WorkflowFailureError:
        task = await run_in_threadpool(svc.tasks.get, sub.task_id)
        raise Conflict(f"rollback task {sub.task_id} failed: {task.error}") from None
    return RollbackOut(
        repository=repo,
        revision=body.to,
        arches=res["arches"],
        task_id=sub.task_id,
        status="succeeded",
    )


@router.post("/publish", response_model=PublishOut, status_code=202)
async def publish(
    project: str, body: PublishIn, request: Request, svc: Svc, who: Caller
) -> PublishOut:
    """Publish every repository again (a task; the project's publisher does it)."""
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.BUILD)
    sub = await submit_publish(job_context(request, who), p, f"requested by {who.name}")
    return PublishOut(project=project, workflow_id=sub.workflow_id, task_id=sub.task_id)


@router.post("/rpms", response_model=RpmImportOut, status_code=201)
async def import_rpms(
    project: str, request: Request, svc: Svc, who: Caller, files: list[UploadFile] = File(...)
) -> RpmImportOut:
    """Seed a project with existing binary RPMs (`olivine rpm import P FILE...`); they stay
    labelled as imported, with the uploader and the original file name."""
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.MANAGE)
    out = await run_in_threadpool(_ingest_all, svc, p.id, who.user_id, files)
    created = [a for a in out if a.created]
    wf_id = None
    if created:
        names = ", ".join(a.filename for a in created[:5]) + (" ..." if len(created) > 5 else "")
        req = PublishRequest(
            [a.artifact_id for a in created],
            reason=f"rpm import: {names}",
            submitter_id=who.user_id,
        )
        wf_id = await request_publish(await temporal(request), project, req)
    arts = [
        ArtifactOut(filename=a.filename, nevra=a.nevra, sha256=a.sha256, created=a.created)
        for a in out
    ]
    return RpmImportOut(project=project, artifacts=arts, workflow_id=wf_id)


def _ingest_all(
    svc: Services, project_id: int, user_id: int | None, files: list[UploadFile]
) -> list[ArtifactInfo]:
    with tempfile.TemporaryDirectory(prefix="olivine-rpm-import-") as tmp:
        paths = []
        for n, f in enumerate(files):
            name = Path(f.filename or f"upload-{n}.rpm").name
            path = Path(tmp) / f"{n}-{name}"
            with open(path, "wb") as out:
                while chunk := f.file.read(1024 * 1024):
                    out.write(chunk)
            check_rpm_file(path, name)  # every file is checked before any is taken in
            paths.append((path, name))
        if not paths:
            raise ValidationFailed("no RPM files were uploaded")
        return [
            ingest_rpm(
                svc.db,
                svc.store,
                path,
                project_id,
                origin="imported",
                uploader_id=user_id,
                original_name=name,
            )
            for path, name in paths
        ]


def repo_authorizer(svc: Services) -> Authorize:
    """Read access to private projects' repos: Bearer token, or Basic with the token as password."""

    def authorize(request: Request, project: ProjectRef) -> None:
        token = token_from(request)
        who = ANONYMOUS if token is None else AuthService(svc.db).authenticate(token)
        if allowed(who, Action.READ, project.id, project.public):
            return
        if who.anonymous:
            raise Unauthenticated(f"project {project.name} needs an API token")
        raise NotFound(f"project {project.name!r} does not exist")

    return authorize
