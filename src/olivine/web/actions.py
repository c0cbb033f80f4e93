"""What a signed-in user can do from the pages. Every action goes through the same code as the
API (the /api/v1 handlers are called with the session's caller), so permissions, task records
and workflows are the API's; this module only turns form posts into those calls."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import project_for, require_user
from olivine.api.routes import imports as imports_api
from olivine.api.routes import projects as projects_api
from olivine.api.routes import repos_api
from olivine.api.routes import tasks as tasks_api
from olivine.api.schemas import ApplyIn
from olivine.auth.policy import Action, Principal
from olivine.errors import NotFound, OlivineError, ValidationFailed
from olivine.web import queries
from olivine.web.render import WebRoute, caller, check_csrf, finish, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CSRF = [Depends(check_csrf)]
MAX_FILE = 4_000_000


def build_available() -> bool:
    """Build controls appear when the build capability's API is installed."""
    return importlib.util.find_spec("olivine.api.routes.builds") is not None


def _builds_api() -> Any:
    if not build_available():
        raise NotFound("builds are not available in this installation")
    return importlib.import_module("olivine.api.routes.builds")


def see_other(request: Request, url: str) -> Response:
    resp = RedirectResponse(url, status_code=303)
    finish(request, resp)
    return resp


@router.get("/apply")
async def apply_form(request: Request, who: Principal = Depends(caller)) -> HTMLResponse:
    require_user(who)
    return render(request, "apply.html", {"text": "", "error": None})


@router.post("/apply", dependencies=CSRF)
async def apply_submit(
    request: Request,
    who: Principal = Depends(caller),
    text: str = Form("", max_length=MAX_FILE),
    upload: UploadFile | None = None,
) -> Response:
    """Apply a project file pasted or uploaded (as `olivine project apply FILE`)."""
    require_user(who)
    filename = "project.yaml"
    if upload is not None and upload.filename:
        data = await upload.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise ValidationFailed(f"{upload.filename} is larger than {MAX_FILE} bytes")
        text, filename = data.decode("utf-8", errors="replace"), upload.filename
    try:
        if not text.strip():
            raise ValidationFailed("paste a project file or choose one to upload")
        out = await projects_api.apply_project(
            ApplyIn(file=text, filename=filename, wait=False), request, services(request), who
        )
    except OlivineError as exc:
        ctx = {"text": text, "error": exc.message}
        return render(request, "apply.html", ctx, status=exc.status)
    return see_other(request, f"/tasks/{out.task_id}")


@router.post("/projects/{name}/packages/{package}/import", dependencies=CSRF)
async def import_package(
    name: str,
    package: str,
    request: Request,
    who: Principal = Depends(caller),
    ref: str = Form("", max_length=255),
) -> Response:
    body = imports_api.ImportIn(package=package, ref=ref.strip() or None)
    out = await imports_api.import_package(name, body, request, services(request), who)
    return see_other(request, f"/tasks/{out.task_id}")


@router.post("/projects/{name}/packages/{package}/import-srpm", dependencies=CSRF)
async def import_srpm(
    name: str, package: str, srpm: UploadFile, request: Request, who: Principal = Depends(caller)
) -> Response:
    """Import an uploaded source RPM (as `olivine import P PKG --srpm FILE`)."""
    if not srpm.filename:
        raise ValidationFailed("choose a source RPM to upload")
    out = await imports_api.import_srpm(name, request, services(request), who, package, srpm)
    return see_other(request, f"/tasks/{out.task_id}")


@router.post("/projects/{name}/import-batch", dependencies=CSRF)
async def import_batch(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    packages: str = Form("", max_length=100_000),
    all: bool = Form(False),
) -> Response:
    """Import several packages (names separated by spaces, commas or lines) or all of them."""
    names = [n for n in packages.replace(",", " ").split() if n]
    if not names and not all:
        raise ValidationFailed("name the packages to import, or choose all of them")
    body = imports_api.BatchIn(packages=names, all=all)
    out = await imports_api.import_batch(name, body, request, services(request), who)
    return see_other(request, f"/projects/{name}/batches/{out.batch_id}")


@router.post("/projects/{name}/batches/{batch_id}/retry", dependencies=CSRF)
async def retry_batch(
    name: str, batch_id: int, request: Request, who: Principal = Depends(caller)
) -> Response:
    """Run the failed items of a batch again, as a new batch."""
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    found = await run_in_threadpool(queries.batch, svc.db, p.id, batch_id)
    if found is None:
        raise NotFound(f"batch {batch_id} is not a batch of project {name}")
    if found[0].kind == "build":
        out = await _builds_api().retry_batch(batch_id, request, svc, who)
    else:
        body = imports_api.BatchIn(retry=batch_id)
        out = await imports_api.import_batch(name, body, request, svc, who)
    return see_other(request, f"/projects/{name}/batches/{out.batch_id}")


@router.post("/projects/{name}/packages/{package}/build", dependencies=CSRF)
async def build_package(
    name: str,
    package: str,
    request: Request,
    who: Principal = Depends(caller),
    scm_hash: str = Form("", max_length=64),
    scratch: bool = Form(False),
) -> Response:
    """Build the latest import (or the one whose forge commit is `scm_hash`)."""
    api = _builds_api()
    body = api.BuildIn(package=package, scm_hash=scm_hash.strip() or None, scratch=scratch)
    out = await api.build_package(name, body, request, services(request), who)
    return see_other(request, f"/tasks/{out.task_id}")


@router.post("/projects/{name}/build-batch", dependencies=CSRF)
async def build_batch(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    packages: str = Form("", max_length=100_000),
    all: bool = Form(False),
) -> Response:
    """Build several packages (or all) in BuildRequires order."""
    names = [n for n in packages.replace(",", " ").split() if n]
    if not names and not all:
        raise ValidationFailed("name the packages to build, or choose all of them")
    api = _builds_api()
    out = await api.build_batch(
        name, api.BatchIn(packages=names, all=all), request, services(request), who
    )
    return see_other(request, f"/projects/{name}/batches/{out.batch_id}")


@router.post("/projects/{name}/repos/{repo}/rollback", dependencies=CSRF)
async def rollback_repo(
    name: str,
    repo: str,
    request: Request,
    who: Principal = Depends(caller),
    to: int = Form(..., ge=1),
    arch: str = Form("", max_length=64),
) -> Response:
    """Serve an earlier revision of one repo/arch again (a manager's act)."""
    body = repos_api.RollbackIn(to=to, arch=arch or None)
    await run_in_threadpool(repos_api.rollback_repo, name, repo, body, services(request), who)
    return see_other(request, f"/projects/{name}/repos/{repo}")


@router.post("/projects/{name}/publish", dependencies=CSRF)
async def publish(name: str, request: Request, who: Principal = Depends(caller)) -> Response:
    """Publish every repository of the project again (new revisions only where they change)."""
    body = repos_api.PublishIn(full=True)
    await repos_api.publish(name, body, request, services(request), who)
    return see_other(request, f"/projects/{name}/repos")


@router.post("/tasks/{task_id}/cancel", dependencies=CSRF)
async def cancel_task(task_id: int, request: Request, who: Principal = Depends(caller)) -> Response:
    await tasks_api.cancel_task(task_id, request, services(request), who)
    return see_other(request, f"/tasks/{task_id}")
