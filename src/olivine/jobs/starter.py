"""Starting the workflows of recorded jobs, and the reconciler that starts the ones whose start
was lost. A start is idempotent: the workflow ID is the job's, and Temporal refuses a second
workflow with it (REJECT_DUPLICATE), which counts as started."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from olivine.db.base import Database, utcnow
from olivine.db.models import JobStart, Task
from olivine.errors import Unavailable
from olivine.jobs.status import TERMINAL
from olivine.jobs.submit import Start

log = logging.getLogger("olivine.jobs")
ClientFn = Callable[[], Awaitable[Client]]
GRACE = timedelta(seconds=30)  # a start younger than this may still be under way in its API


@dataclass(frozen=True)
class Pending:
    task_id: int
    workflow: str
    workflow_id: str
    queue: str
    input: Any


async def start_workflow(client: Client, p: Start | Pending) -> None:
    # an already started workflow was a repeated launch, or the reconciler was first
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            p.workflow,
            p.input,
            id=p.workflow_id,
            task_queue=p.queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


def _mark_started(db: Database, task_id: int) -> None:
    with db.session() as s:
        s.execute(update(JobStart).where(JobStart.task_id == task_id).values(started_at=utcnow()))


async def launch(db: Database, client: ClientFn, start: Start | None) -> None:
    """Start a just-recorded job. If Temporal cannot be reached the job stays recorded, pending,
    and the reconciler starts it once Temporal answers again."""
    if start is None:
        return
    try:
        await start_workflow(await client(), start)
    except (RPCError, RuntimeError, OSError, Unavailable) as e:
        log.warning("could not start %s now (%s); the reconciler will", start.workflow_id, e)
        return
    await asyncio.to_thread(_mark_started, db, start.task_id)


def unstarted(db: Database, older_than: timedelta = GRACE) -> list[Pending]:
    with db.session() as s:
        rows = s.scalars(
            select(JobStart)
            .join(Task, Task.id == JobStart.task_id)
            .where(
                JobStart.started_at.is_(None),
                JobStart.created_at <= utcnow() - older_than,
                Task.status.not_in(list(TERMINAL)),  # canceled before it started
            )
            .order_by(JobStart.id)
        )
        return [Pending(r.task_id, r.workflow, r.workflow_id, r.queue, r.input) for r in rows]


async def reconcile(db: Database, client: Client, older_than: timedelta = GRACE) -> list[str]:
    """Start every committed job that has no workflow yet; returns their workflow IDs."""
    done = []
    for p in await asyncio.to_thread(unstarted, db, older_than):
        await start_workflow(client, p)
        await asyncio.to_thread(_mark_started, db, p.task_id)
        log.info("reconciler started %s (task %s)", p.workflow_id, p.task_id)
        done.append(p.workflow_id)
    return done


async def reconcile_forever(
    db: Database, client: ClientFn, every: timedelta = GRACE, stop: asyncio.Event | None = None
) -> None:
    """The reconciler loop a long-running process keeps (the API, from start-up). Its first
    round takes every unstarted job: at start-up none can still be under way in this process,
    and a start repeated by another process is a no-op."""
    stop = stop or asyncio.Event()
    age = timedelta(0)
    while not stop.is_set():
        try:
            await reconcile(db, await client(), age)
            age = every
        except Exception as e:  # Temporal or the database away: try again next round
            log.warning("reconciler: %s", e)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every.total_seconds())
