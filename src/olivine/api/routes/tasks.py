"""Tasks: list with filters and pagination, show with subtasks, logs (with follow), cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.access import check_cancel, visible_task
from olivine.api.deps import Caller, Svc
from olivine.api.params import IdPath, IdQuery, Offset, Seq
from olivine.api.schemas import LogChunk, LogOut, Page, TaskOut
from olivine.api.task_links import belongs_to
from olivine.api.temporal import connection
from olivine.db.base import utcnow
from olivine.jobs.cancel import cancel_task as cancel
from olivine.services import Services
from olivine.tasks.queries import (
    TaskFilter,
    TaskRow,
    get_task,
    list_tasks,
)
from olivine.tasks.service import STATES, TERMINAL

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
FOLLOW_POLL = 0.3
CANCEL_RPC_TIMEOUT = timedelta(seconds=10)


def task_out(row: TaskRow, children: list[TaskOut] | None = None) -> TaskOut:
    t = row.task
    duration = _seconds(t.started_at, t.finished_at)
    return TaskOut(
        id=t.id,
        parent_id=t.parent_id,
        kind=t.kind,
        status=t.status,
        arch=t.arch,
        project=row.project,
        package=row.package,
        submitter=row.submitter,
        summary=t.summary,
        result=t.result,
        error=t.error,
        canceled_by=t.canceled_by if t.status == "canceled" else None,
        created_at=t.created_at,
        started_at=t.started_at,
        finished_at=t.finished_at,
        duration_s=duration,
        children=children,
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Start to end, or to now while it runs (SQLite hands back naive UTC values)."""
    if start is None:
        return None
    end = end or utcnow()
    aware = [d.replace(tzinfo=UTC) if d.tzinfo is None else d for d in (start, end)]
    return round((aware[1] - aware[0]).total_seconds(), 1)


@router.get("", response_model=Page[TaskOut])
def tasks(
    svc: Svc,
    who: Caller,
    project: str | None = None,
    kind: str | None = Query(None, max_length=32),
    status: str | None = None,
    package: str | None = None,
    submitter: str | None = None,
    parent: IdQuery = None,
    roots: bool = False,
    offset: Offset = 0,
    limit: int = Query(50, ge=1, le=500),
) -> Page[TaskOut]:
    if status is not None and status not in STATES:
        from olivine.errors import ValidationFailed

        raise ValidationFailed(f"status must be one of {', '.join(sorted(STATES))}")
    f = TaskFilter(project, kind, status, package, submitter, parent, roots)
    total, rows = list_tasks(svc.db, who, f, offset, limit)
    return Page[TaskOut](items=[task_out(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/{task_id}", response_model=TaskOut)
def show_task(task_id: IdPath, svc: Svc, who: Caller) -> TaskOut:
    row = visible_task(svc, who, task_id)
    _, kids = list_tasks(svc.db, who, TaskFilter(parent_id=task_id), 0, 1000)
    out = task_out(row, [task_out(k) for k in reversed(kids)])
    return out.model_copy(update=asdict(belongs_to(svc.db, task_id)))


@router.get("/{task_id}/logs", response_model=LogOut)
async def task_logs(
    task_id: IdPath,
    svc: Svc,
    who: Caller,
    after: Seq = -1,
    follow: bool = False,
) -> LogOut | StreamingResponse:
    await run_in_threadpool(visible_task, svc, who, task_id)
    if follow:
        return StreamingResponse(_follow(svc, task_id, after), media_type="text/plain")
    chunks = await run_in_threadpool(svc.tasks.read_log, task_id, after)
    status, _ = await run_in_threadpool(svc.tasks.status_of, task_id)
    done = status in TERMINAL and len(chunks) < 1000
    return LogOut(
        task_id=task_id,
        status=status,
        done=done,
        chunks=[LogChunk(seq=c.seq, text=c.text) for c in chunks],
    )


async def _follow(svc: Services, task_id: int, after: int) -> AsyncIterator[bytes]:
    while True:
        status, _ = await run_in_threadpool(svc.tasks.status_of, task_id)
        chunks = await run_in_threadpool(svc.tasks.read_log, task_id, after)
        for c in chunks:
            after = c.seq
            yield c.text.encode()
        if status in TERMINAL and not chunks:
            return
        if not chunks:
            await asyncio.sleep(FOLLOW_POLL)


@router.post("/{task_id}/cancel", response_model=TaskOut)
async def cancel_task(task_id: IdPath, request: Request, svc: Svc, who: Caller) -> TaskOut:
    """Cancel through Temporal: the task turns canceled when its workflow has stopped."""
    await run_in_threadpool(check_cancel, svc, who, task_id)
    await cancel(svc, connection(request).client, task_id, by=who.name)
    refreshed = get_task(svc.db, task_id)
    assert refreshed is not None
    return task_out(refreshed)
