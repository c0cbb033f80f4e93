"""Projects: list, show, apply a project file (through the ApplyProject workflow)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from olivine.api.access import check_apply
from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.schemas import ApplyIn, ApplyOut, ProjectOut
from olivine.api.temporal import job_context, temporal
from olivine.auth.policy import Action, allowed
from olivine.db.models import Project
from olivine.projects.groups import comps_for, stash
from olivine.projects.jobs import ApplySubmitted, submit_apply
from olivine.projects.loader import load_project_text_async
from olivine.projects.service import ProjectService

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])
APPLY_WAIT_SECONDS = 60


def project_out(p: Project, with_spec: bool = False) -> ProjectOut:
    return ProjectOut(
        name=p.name,
        public=p.public,
        description=p.spec.get("description", ""),
        arches=p.spec.get("arches", []),
        dist=p.spec.get("dist", ""),
        created_at=p.created_at,
        updated_at=p.updated_at,
        spec=p.spec if with_spec else None,
    )


@router.get("", response_model=list[ProjectOut])
def list_projects(svc: Svc, who: Caller) -> list[ProjectOut]:
    return [
        project_out(p)
        for p in ProjectService(svc.db).all()
        if allowed(who, Action.READ, p.id, p.public)
    ]


@router.get("/{name}", response_model=ProjectOut)
def show_project(name: str, svc: Svc, who: Caller) -> ProjectOut:
    return project_out(project_for(svc, who, name, Action.READ), with_spec=True)


@router.post("/apply", response_model=ApplyOut, status_code=200)
async def apply_project(body: ApplyIn, request: Request, svc: Svc, who: Caller) -> ApplyOut:
    require_user(who)
    pf = await load_project_text_async(body.file, body.filename)
    comps = comps_for(pf, body.groups)
    pid = await run_in_threadpool(check_apply, svc, who, pf.name)
    stashed = await run_in_threadpool(stash, svc.store, comps)
    sub = await submit_apply(job_context(request, who), pf, body.filename, pid, stashed)
    if not body.wait:
        return ApplyOut(task_id=sub.task_id, project=pf.name, status="pending")
    return await _wait(request, svc, sub)


async def _wait(request: Request, svc: Svc, sub: ApplySubmitted) -> ApplyOut:
    handle = (await temporal(request)).get_workflow_handle(sub.workflow_id)
    try:
        res = await asyncio.wait_for(handle.result(), APPLY_WAIT_SECONDS)
    except TimeoutError:
        return ApplyOut(task_id=sub.task_id, project=sub.project, status="running")
    except Exception:
        task = await run_in_threadpool(svc.tasks.get, sub.task_id)
        return ApplyOut(
            task_id=sub.task_id, project=sub.project, status=task.status, error=task.error
        )
    return ApplyOut(
        task_id=sub.task_id,
        project=sub.project,
        status="succeeded",
        created=res["created"],
        changes=res["changes"],
    )
