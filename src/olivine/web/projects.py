"""Project pages: the list, a project's packages, a package's history and an import's diff,
and the project's batches."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import project_for
from olivine.auth.policy import Action, Principal, allowed
from olivine.batches import service as batches
from olivine.batches.rules import outcome, refused, retryable
from olivine.builds.queries import batch_builds
from olivine.imports.diff import import_diff
from olivine.imports.records import get_revision
from olivine.projects.service import ProjectService
from olivine.tasks.service import TERMINAL
from olivine.web import queries
from olivine.web.actions import build_available
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 100
DIFF_LINES = 20_000  # a page a browser still renders quickly; the API has the whole diff


@router.get("/")
async def project_list(request: Request, who: Principal = Depends(caller)) -> HTMLResponse:
    svc = services(request)
    projects = await run_in_threadpool(ProjectService(svc.db).all)
    visible = [p for p in projects if allowed(who, Action.READ, p.id, p.public)]
    return render(request, "projects.html", {"projects": visible})


@router.get("/projects/{name}")
async def project_page(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    q: str | None = Query(None, max_length=255),
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    total, lines = await run_in_threadpool(queries.package_lines, svc.db, p.id, offset, PAGE, q)
    live = any(ln.latest_build and ln.latest_build.status not in TERMINAL for ln in lines)
    return render(
        request,
        "project.html",
        {
            "p": p,
            "lines": lines,
            "total": total,
            "offset": offset,
            "page": PAGE,
            "q": q or "",
            "live": live,
            "build_available": build_available(),
        },
    )


@router.get("/projects/{name}/packages/{package}")
async def package_page(
    name: str, package: str, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    _, pkg_id = await run_in_threadpool(ProjectService(svc.db).package_id, name, package)
    h = await run_in_threadpool(queries.package_history, svc.db, p.id, pkg_id, package)
    live = any(b.status not in TERMINAL for b in h.builds)
    return render(
        request,
        "package.html",
        {
            "p": p,
            "package": package,
            "h": h,
            "live": live,
            "build_available": build_available(),
        },
    )


@router.get("/projects/{name}/packages/{package}/imports/{rev}/diff")
async def import_diff_page(
    name: str, package: str, rev: str, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    """Upstream tree vs imported tree of one import (what the patch directives changed)."""
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    r = await run_in_threadpool(get_revision, svc.db, p.id, package, rev)
    text = await run_in_threadpool(import_diff, svc.db, p.id, package, r.id)
    lines = text.splitlines()
    ctx = {
        "p": p,
        "package": package,
        "r": r,
        "lines": lines[:DIFF_LINES],
        "cut": max(len(lines) - DIFF_LINES, 0),
    }
    return render(request, "diff.html", ctx)


@router.get("/projects/{name}/batches")
async def batch_list(name: str, request: Request, who: Principal = Depends(caller)) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    rows = await run_in_threadpool(batches.list_batches, svc.db, p.id)
    live = any(b.task_status not in TERMINAL for b in rows if b.task_status)
    outcomes = {b.id: outcome(b) for b in rows}
    ctx = {"p": p, "rows": rows, "outcomes": outcomes, "live": live}
    return render(request, "batches.html", ctx)


@router.get("/projects/{name}/batches/{batch_id}")
async def batch_page(
    name: str, batch_id: int, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    view = await run_in_threadpool(batches.get, svc.db, batch_id, p.id)
    live = view.task_status is not None and view.task_status not in TERMINAL
    failed = [] if live else [i for i in view.items if retryable(view, i)]
    made = await run_in_threadpool(batch_builds, svc.db, batch_id) if view.kind == "build" else {}
    return render(
        request,
        "batch.html",
        {
            "p": p,
            "b": view,
            "outcome": outcome(view),
            "builds": made,
            "items": view.items,
            "refused": {i.package for i in view.items if refused(i)},
            "live": live,
            "failed": failed,
            "build_available": build_available(),
        },
    )
