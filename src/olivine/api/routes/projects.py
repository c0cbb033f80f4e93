"""Projects: list, show, apply a project file (through the ApplyProject workflow)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_admin, require_user
from olivine.api.schemas import ApplyIn, ApplyOut, ProjectOut
from olivine.api.temporal import temporal
from olivine.auth.policy import Action, allowed
from olivine.db.models import Project
from olivine.errors import NotFound
from olivine.projects.groups import comps_for, stash
from olivine.projects.loader import load_project_text
from olivine.projects.service import ProjectService
from olivine.workflows.client import start
from olivine.workflows.common import TaskInput

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
    pf = load_project_text(body.file, body.filename)
    comps = comps_for(pf, body.groups)
    try:
        await run_in_threadpool(project_for, svc, who, pf.name, Action.MANAGE)
    except NotFound:
        require_admin(who)  # creating a project is an administrator's act
    task_id = await run_in_threadpool(
        svc.tasks.create,
        "project-apply",
        submitter_id=who.user_id,
        summary=f"apply project file {body.filename} for {pf.name}",
        params={"filename": body.filename},
        project_id=_existing_id(svc, pf.name),
    )
    wf_id = f"project-apply-{task_id}"
    await run_in_threadpool(svc.tasks.set_workflow, task_id, wf_id)
    client = await temporal(request)
    handle = await start(
        client,
        "ApplyProject",
        TaskInput(
            task_id,
            {
                "spec": pf.normalised(),
                "actor_id": who.user_id,
                "comps": await run_in_threadpool(stash, svc.store, comps),
            },
        ),
        wf_id,
    )
    if not body.wait:
        return ApplyOut(task_id=task_id, project=pf.name, status="pending")
    try:
        res = await asyncio.wait_for(handle.result(), APPLY_WAIT_SECONDS)
    except TimeoutError:
        return ApplyOut(task_id=task_id, project=pf.name, status="running")
    except Exception:
        task = await run_in_threadpool(svc.tasks.get, task_id)
        return ApplyOut(task_id=task_id, project=pf.name, status=task.status, error=task.error)
    return ApplyOut(
        task_id=task_id,
        project=pf.name,
        status="succeeded",
        created=res["created"],
        changes=res["changes"],
    )


def _existing_id(svc: Svc, name: str) -> int | None:
    try:
        return ProjectService(svc.db).get(name).id
    except NotFound:
        return None
