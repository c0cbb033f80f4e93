"""Modules: start a module build (`module-build` job), list the project's module streams with
their contexts (NSVCs), components and build tasks, show one stream."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.temporal import job_context
from olivine.auth.policy import Action
from olivine.modules.service import list_streams, show_stream, submit_module_build

router = APIRouter(prefix="/api/v1", tags=["modules"])


class ModuleBuildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    module: str = Field(max_length=511, description="NAME:STREAM, e.g. nodejs:18")


class ModuleBuildStarted(BaseModel):
    task_id: int
    module_build_id: int
    project: str
    module: str
    workflow_id: str
    status: str


class ComponentOut(BaseModel):
    name: str
    group: int
    commit: str
    build_id: int | None
    status: str
    reason: str | None
    task_id: int | None = None


class ContextOut(BaseModel):
    nsvc: str
    version: str
    context: str
    status: str
    dist_tag: str
    module_build_id: int
    task_id: int | None
    buildrequires: dict[str, str]
    requires: dict[str, list[str]]
    arches: list[str]
    components: list[ComponentOut]


class StreamOut(BaseModel):
    name: str
    stream: str
    contexts: list[ContextOut]


@router.post(
    "/projects/{project}/modules/builds", response_model=ModuleBuildStarted, status_code=202
)
async def build_module(
    project: str, body: ModuleBuildIn, request: Request, svc: Svc, who: Caller
) -> ModuleBuildStarted:
    require_user(who)
    p = await run_in_threadpool(project_for, svc, who, project, Action.BUILD)
    out = await submit_module_build(job_context(request, who), p, body.module)
    return ModuleBuildStarted(**asdict(out))


@router.get("/projects/{project}/modules", response_model=list[StreamOut])
def modules(project: str, svc: Svc, who: Caller) -> list[StreamOut]:
    p = project_for(svc, who, project, Action.READ)
    return [StreamOut.model_validate(asdict(v)) for v in list_streams(svc, p)]


@router.get("/projects/{project}/modules/{name}/{stream}", response_model=StreamOut)
def module_stream(project: str, name: str, stream: str, svc: Svc, who: Caller) -> StreamOut:
    p = project_for(svc, who, project, Action.READ)
    return StreamOut.model_validate(asdict(show_stream(svc, p, name, stream)))
