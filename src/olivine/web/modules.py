"""Module pages: a project's module streams with their contexts (NSVC, status, dist tag), one
stream's contexts with their components, builds and tasks, and the form that builds a stream
(through the API handler, as every web action)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import project_for, require_user
from olivine.api.temporal import job_context
from olivine.auth.policy import Action, Principal
from olivine.modules.service import (
    list_streams,
    show_stream,
    submit_module_build,
    unplanned_builds,
)
from olivine.web.actions import CSRF, see_other
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/projects/{name}/modules")
async def module_list(
    name: str, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    streams = await run_in_threadpool(list_streams, svc, p)
    unplanned = await run_in_threadpool(unplanned_builds, svc, p)
    return render(request, "modules.html", {"p": p, "streams": streams, "unplanned": unplanned})


@router.get("/projects/{name}/modules/{module}/{stream}")
async def module_page(
    name: str, module: str, stream: str, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    view = await run_in_threadpool(show_stream, svc, p, module, stream)
    return render(request, "module_stream.html", {"p": p, "s": view})


@router.post("/projects/{name}/modules/build", dependencies=CSRF)
async def module_build(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    module: str = Form(..., max_length=511),
) -> Response:
    require_user(who)
    p = await run_in_threadpool(project_for, services(request), who, name, Action.BUILD)
    out = await submit_module_build(job_context(request, who), p, module.strip())
    return see_other(request, f"/tasks/{out.task_id}")
