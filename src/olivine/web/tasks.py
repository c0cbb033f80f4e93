"""Task pages: the list (filters, paging, live status), one task (subtask tree, log following
live, full-log download, cancel)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.access import may_cancel, visible_task
from olivine.auth.policy import Principal
from olivine.builds.queries import build_of_task
from olivine.db.base import Database
from olivine.db.models import Task
from olivine.errors import ValidationFailed
from olivine.tasks.queries import Node, TaskFilter, TaskRow, list_tasks, log_tail, task_tree
from olivine.tasks.service import STATES, TERMINAL
from olivine.web import queries
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50
TAIL_BYTES = 128 * 1024
MAX_TREE = 2000
TAIL_LINES = 40  # of a failed subtask's log, shown under the reason


@router.get("/tasks")
async def task_list(
    request: Request,
    who: Principal = Depends(caller),
    project: str | None = Query(None, max_length=64),
    kind: str | None = Query(None, max_length=32),
    status: str | None = Query(None, max_length=16),
    package: str | None = Query(None, max_length=255),
    submitter: str | None = Query(None, max_length=64),
    roots: bool = False,
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    svc = services(request)
    if status and status not in STATES:
        raise ValidationFailed(f"status must be one of {', '.join(sorted(STATES))}")
    f = TaskFilter(
        project or None,
        kind or None,
        status or None,
        package or None,
        submitter or None,
        None,
        roots,
    )
    total, rows = await run_in_threadpool(list_tasks, svc.db, who, f, offset, PAGE)
    kinds = await run_in_threadpool(queries.task_kinds, svc.db)
    live = any(r.task.status not in TERMINAL for r in rows)
    return render(
        request,
        "tasks.html",
        {
            "rows": rows,
            "total": total,
            "offset": offset,
            "page": PAGE,
            "f": f,
            "kinds": kinds,
            "states": sorted(STATES),
            "live": live,
        },
    )


def _first_failure(node: Node) -> Task | None:
    """The deepest failed task under a failed one: where the one-line reason comes from."""
    for child in node.children:
        if child.task.status == "failed":
            return _first_failure(child) or child.task
    return None


def _task_page(db: Database, who: Principal, row: TaskRow) -> dict[str, object]:
    tree, count = task_tree(db, row.task, MAX_TREE)
    failure = _first_failure(tree) if row.task.status == "failed" else None
    text, last, cut = log_tail(db, row.task.id, TAIL_BYTES)
    ctx: dict[str, object] = {
        "row": row,
        "t": row.task,
        "tree": tree,
        "count": count,
        "log": text,
        "last_seq": last,
        "cut": cut,
        "failure": failure,
        "build": build_of_task(db, row.task.id),
        "may_cancel": row.task.status not in TERMINAL and may_cancel(db, who, row),
        "live": row.task.status not in TERMINAL,
    }
    if row.task.status == "failed":
        source = failure or row.task  # where the failure's log is: the failed subtask or itself
        ctx["failure_source"] = source
        tail, _, cut = log_tail(db, source.id, 16 * 1024)
        lines = tail.splitlines(keepends=True)
        ctx["failure_log"] = "".join(lines[-TAIL_LINES:])
        ctx["failure_cut"] = cut or len(lines) > TAIL_LINES
    return ctx


@router.get("/tasks/{task_id}")
async def task_page(
    task_id: int, request: Request, who: Principal = Depends(caller)
) -> HTMLResponse:
    svc = services(request)
    row = await run_in_threadpool(visible_task, svc, who, task_id)
    ctx = await run_in_threadpool(_task_page, svc.db, who, row)
    return render(request, "task.html", ctx)


@router.get("/tasks/{task_id}/log")
async def task_log_json(
    task_id: int, request: Request, who: Principal = Depends(caller), after: int = Query(-1, ge=-1)
) -> JSONResponse:
    """What the page script polls to follow a running task's log."""
    svc = services(request)
    await run_in_threadpool(visible_task, svc, who, task_id)
    chunks = await run_in_threadpool(svc.tasks.read_log, task_id, after, 200)
    status, _ = await run_in_threadpool(svc.tasks.status_of, task_id)
    return JSONResponse(
        {
            "status": status,
            "done": status in TERMINAL and len(chunks) < 200,
            "chunks": [{"seq": c.seq, "text": c.text} for c in chunks],
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/tasks/{task_id}/log.txt")
async def task_log_download(
    task_id: int, request: Request, who: Principal = Depends(caller)
) -> StreamingResponse:
    svc = services(request)
    await run_in_threadpool(visible_task, svc, who, task_id)

    def chunks() -> Iterator[bytes]:
        after = -1
        while True:
            batch = svc.tasks.read_log(task_id, after, 500)
            for c in batch:
                after = c.seq
                yield c.text.encode()
            if len(batch) < 500:
                return

    return StreamingResponse(
        chunks(),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="task-{task_id}.log"'},
    )
