"""The check every stack test ends with: no task is left `pending` or `running` unless an open
Temporal workflow is still behind it (a task that nothing will ever finish is a state that lies)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from olivine.db.base import Database
from olivine.db.models import JobStart, Task

OPEN = ("pending", "running")


def _open_tasks(db: Database) -> dict[int, Task]:
    with db.session() as s:
        rows = s.scalars(select(Task)).all()
        s.expunge_all()
    return {t.id: t for t in rows}


def _unstarted(db: Database) -> set[str]:
    """Workflow IDs of committed jobs the reconciler has still to start (they have an owner)."""
    with db.session() as s:
        return set(s.scalars(select(JobStart.workflow_id).where(JobStart.started_at.is_(None))))


def _root_workflow(task: Task, tasks: dict[int, Task]) -> str | None:
    seen: set[int] = set()
    while task.workflow_id is None and task.parent_id in tasks and task.id not in seen:
        seen.add(task.id)
        task = tasks[task.parent_id]
    return task.workflow_id


async def _running(address: str, workflow_ids: set[str]) -> set[str]:
    client = await Client.connect(address)
    alive = set()
    for wf in workflow_ids:
        try:
            desc = await client.get_workflow_handle(wf).describe()
        except RPCError:
            continue
        if desc.status == WorkflowExecutionStatus.RUNNING:
            alive.add(wf)
    return alive


def orphaned_tasks(db: Database, temporal_address: str, grace: float = 15) -> list[str]:
    """Tasks still open after `grace` seconds whose root workflow is not running."""
    deadline = time.monotonic() + grace
    while True:
        tasks = _open_tasks(db)
        # A row no job made (a test's hand-written task: no workflow anywhere above it) is not
        # a job's state; every job has a workflow ID from record_job on.
        open_ = [t for t in tasks.values() if t.status in OPEN and _root_workflow(t, tasks)]
        wfs = {w for t in open_ if (w := _root_workflow(t, tasks))}
        alive = asyncio.run(_running(temporal_address, wfs)) if wfs else set()
        alive |= _unstarted(db)
        lost = [
            f"task {t.id} ({t.kind}: {t.summary}) is {t.status} with no open workflow"
            for t in open_
            if _root_workflow(t, tasks) not in alive
        ]
        if not lost or time.monotonic() > deadline:
            return lost
        time.sleep(0.5)
