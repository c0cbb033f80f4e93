"""Batches of both kinds: list, show and retry (`olivine batch show|retry ID`), at
/api/v1/batches/{id} and the same under /api/v1/projects/{p}/."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.params import IdPath, Limit
from olivine.api.schemas import BatchLineOut, BatchOut
from olivine.api.temporal import job_context
from olivine.auth.policy import Action, Principal
from olivine.batches import service as batches
from olivine.batches.retry import ACTION, retry_batch
from olivine.batches.rules import outcome
from olivine.batches.service import BatchSubmitted, BatchView
from olivine.services import Services

router = APIRouter(prefix="/api/v1", tags=["batches"])


def batch_out(view: BatchView | BatchSubmitted) -> BatchOut:
    if isinstance(view, BatchView):
        made = asdict(BatchSubmitted.of(view, view.project))
        return BatchOut(**made, status=outcome(view), canceled_by=view.canceled_by)
    return BatchOut(**asdict(view), status="pending")  # just written


def visible_batch(
    svc: Services, who: Principal, batch_id: int, project: str | None = None
) -> BatchView:
    """The batch, if the caller may read its project (and it is a batch of `project`)."""
    view = batches.get(svc.db, batch_id)
    p = project_for(svc, who, project or view.project, Action.READ)
    if p.id != view.project_id:
        batches.get(svc.db, batch_id, p.id)  # NotFound, naming the project
    return view


@router.get("/batches/{batch_id}", response_model=BatchOut)
def show_batch(batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    return batch_out(visible_batch(svc, who, batch_id))


@router.get("/projects/{project}/batches/{batch_id}", response_model=BatchOut)
def show_project_batch(project: str, batch_id: IdPath, svc: Svc, who: Caller) -> BatchOut:
    return batch_out(visible_batch(svc, who, batch_id, project))


@router.get("/projects/{project}/batches", response_model=list[BatchLineOut])
def list_batches(project: str, svc: Svc, who: Caller, limit: Limit = 100) -> list[BatchLineOut]:
    p = project_for(svc, who, project, Action.READ)
    return [
        BatchLineOut(
            batch_id=b.id,
            kind=b.kind.value,
            task_id=b.task_id,
            task_status=b.task_status,
            status=outcome(b),
            submitter=b.submitter,
            created_at=b.created_at,
            counts=b.counts(),
        )
        for b in batches.list_batches(svc.db, p.id, min(max(limit, 1), 500))
    ]


async def retry(
    request: Request, svc: Services, who: Principal, batch_id: int, project: str | None = None
) -> BatchOut:
    """A new batch of every item that did not end done, of the same kind."""
    require_user(who)
    view = await run_in_threadpool(visible_batch, svc, who, batch_id, project)
    p = await run_in_threadpool(project_for, svc, who, view.project, ACTION[view.kind])
    return batch_out(await retry_batch(job_context(request, who), p, view))


@router.post("/batches/{batch_id}/retry", response_model=BatchOut, status_code=202)
async def retry_any_batch(batch_id: IdPath, request: Request, svc: Svc, who: Caller) -> BatchOut:
    return await retry(request, svc, who, batch_id)


@router.post(
    "/projects/{project}/batches/{batch_id}/retry", response_model=BatchOut, status_code=202
)
async def retry_project_batch(
    project: str, batch_id: IdPath, request: Request, svc: Svc, who: Caller
) -> BatchOut:
    return await retry(request, svc, who, batch_id, project)
