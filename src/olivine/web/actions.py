"""What a signed-in user can do from the pages. Every action calls the same submit() and
services as the API (with the session's caller), so permissions, task records and workflows
are the API's; this module only turns form posts into those calls."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from olivine.api.access import check_apply, check_cancel
from olivine.api.deps import project_for, require_user
from olivine.api.temporal import connection, job_context
from olivine.auth.policy import Action, Principal
from olivine.batches import service as batches
from olivine.batches.retry import ACTION, retry_batch
from olivine.batches.rules import refused, retryable
from olivine.builds.jobs import BuildRequest
from olivine.builds.service import submit_build, submit_build_batch
from olivine.builds.submit import batch_names as build_names
from olivine.db.models import Project
from olivine.errors import OlivineError, ValidationFailed
from olivine.imports.jobs import ImportRequest
from olivine.imports.service import submit_import, submit_import_batch
from olivine.imports.submit import batch_names as import_names
from olivine.jobs.cancel import cancel_task as cancel
from olivine.projects.jobs import submit_apply
from olivine.projects.loader import load_project_text_async
from olivine.repos.jobs import submit_publish, submit_rollback
from olivine.web.render import WebRoute, caller, check_csrf, finish, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CSRF = [Depends(check_csrf)]
MAX_FILE = 4_000_000


def build_available() -> bool:
    """Build controls appear on the pages (builds are part of every installation now)."""
    return True


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
        pf = await load_project_text_async(text, filename)
        pid = await run_in_threadpool(check_apply, services(request), who, pf.name)
        out = await submit_apply(job_context(request, who), pf, filename, pid)
    except OlivineError as exc:
        ctx = {"text": text, "error": exc.message}
        return render(request, "apply.html", ctx, status=exc.status)
    return see_other(request, f"/tasks/{out.task_id}")


async def _project(request: Request, who: Principal, name: str, action: Action) -> Project:
    require_user(who)
    return await run_in_threadpool(project_for, services(request), who, name, action)


def _names(packages: str) -> list[str]:
    return [n for n in packages.replace(",", " ").split() if n]


@router.post("/projects/{name}/packages/{package}/import", dependencies=CSRF)
async def import_package(
    name: str,
    package: str,
    request: Request,
    who: Principal = Depends(caller),
    ref: str = Form("", max_length=255),
) -> Response:
    p = await _project(request, who, name, Action.IMPORT)
    req = ImportRequest(package, ref.strip() or None)
    out = await submit_import(job_context(request, who), p, req)
    return see_other(request, f"/tasks/{out.task_id}")


@router.post("/projects/{name}/packages/{package}/import-srpm", dependencies=CSRF)
async def import_srpm(
    name: str, package: str, srpm: UploadFile, request: Request, who: Principal = Depends(caller)
) -> Response:
    """Import an uploaded source RPM (as `olivine import P PKG --srpm FILE`)."""
    if not srpm.filename:
        raise ValidationFailed("choose a source RPM to upload")
    p = await _project(request, who, name, Action.IMPORT)
    put = await run_in_threadpool(services(request).store.put_stream, srpm.file)
    req = ImportRequest(package, None, put.sha256, srpm.filename)
    out = await submit_import(job_context(request, who), p, req)
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
    p = await _project(request, who, name, Action.IMPORT)
    names = await run_in_threadpool(import_names, services(request).db, p, _names(packages), all)
    out = await submit_import_batch(job_context(request, who), p, names)
    return see_other(request, f"/projects/{name}/batches/{out.batch_id}")


@router.post("/projects/{name}/batches/{batch_id}/retry", dependencies=CSRF)
async def retry(
    name: str, batch_id: int, request: Request, who: Principal = Depends(caller)
) -> Response:
    """Run again, as a new batch, what did not end done in a batch (either kind) and a retry
    can change (not what was refused, such as a NEVR already built): what the page offers."""
    svc = services(request)
    p = await _project(request, who, name, Action.READ)
    view = await run_in_threadpool(batches.get, svc.db, batch_id, p.id)
    p = await _project(request, who, name, ACTION[view.kind])
    again = [i for i in view.items if retryable(view, i)]
    if not again and any(refused(i) for i in view.items):
        raise ValidationFailed(
            f"{view.kind} batch {batch_id} has nothing a retry can change: what failed was "
            "refused (import a new release to build it again)"
        )
    out = await retry_batch(job_context(request, who), p, replace(view, items=again or view.items))
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
    p = await _project(request, who, name, Action.SCRATCH_BUILD if scratch else Action.BUILD)
    req = BuildRequest(package, scm_hash.strip() or None, scratch)
    out = await submit_build(job_context(request, who), p, req)
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
    p = await _project(request, who, name, Action.BUILD)
    names = await run_in_threadpool(build_names, services(request).db, p, _names(packages), all)
    out = await submit_build_batch(job_context(request, who), p, names)
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
    p = await _project(request, who, name, Action.MANAGE)
    await submit_rollback(job_context(request, who), p, repo, to, arch or None)
    return see_other(request, f"/projects/{name}/repos/{repo}")


@router.post("/projects/{name}/publish", dependencies=CSRF)
async def publish(name: str, request: Request, who: Principal = Depends(caller)) -> Response:
    """Publish every repository of the project again (new revisions only where they change)."""
    p = await _project(request, who, name, Action.BUILD)
    await submit_publish(job_context(request, who), p, f"requested by {who.name}")
    return see_other(request, f"/projects/{name}/repos")


@router.post("/tasks/{task_id}/cancel", dependencies=CSRF)
async def cancel_task(task_id: int, request: Request, who: Principal = Depends(caller)) -> Response:
    svc = services(request)
    await run_in_threadpool(check_cancel, svc, who, task_id)
    await cancel(svc, connection(request).client, task_id, by=who.name)
    return see_other(request, f"/tasks/{task_id}")
