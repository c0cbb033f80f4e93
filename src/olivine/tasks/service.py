"""Create tasks, move them through their states and append to their logs.

States: pending -> running -> succeeded | failed | canceled. Logs are chunks with increasing
`seq` per task; a reader follows a log by asking for chunks after the last seq it saw.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from olivine.db.base import Database, utcnow
from olivine.db.models import Task, TaskLog
from olivine.errors import Conflict, NotFound
from olivine.jobs.status import TERMINAL, TaskStatus

STATES = frozenset(TaskStatus)
__all__ = ["STATES", "TERMINAL", "TaskLogWriter", "TaskService", "TaskStatus", "add_task"]


def add_task(
    s: Session,
    kind: str,
    *,
    project_id: int | None = None,
    package_id: int | None = None,
    submitter_id: int | None = None,
    parent_id: int | None = None,
    arch: str | None = None,
    summary: str = "",
    params: dict[str, Any] | None = None,
    workflow_id: str | None = None,
) -> Task:
    """A pending task in the caller's transaction (a job's tree is written in one)."""
    task = Task(
        kind=kind,
        project_id=project_id,
        package_id=package_id,
        submitter_id=submitter_id,
        parent_id=parent_id,
        arch=arch,
        summary=summary[:255],
        params=params or {},
        workflow_id=workflow_id,
        status=TaskStatus.PENDING.value,
    )
    s.add(task)
    s.flush()
    return task


class TaskService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, kind: str, **fields: Any) -> int:
        """A pending task in its own transaction (fields as add_task's)."""
        with self.db.session() as s:
            return add_task(s, kind, **fields).id

    def set_workflow(self, task_id: int, workflow_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(Task).where(Task.id == task_id).values(workflow_id=workflow_id))

    def get(self, task_id: int) -> Task:
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            s.expunge(task)
            return task

    def start(self, task_id: int) -> None:
        """Mark running (idempotent: a retried activity starts the same task again)."""
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            if task.status in TERMINAL:
                raise Conflict(f"task {task_id} is already {task.status}")
            task.status = TaskStatus.RUNNING.value
            task.started_at = task.started_at or utcnow()

    def finish(
        self,
        task_id: int,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        assert status in TERMINAL, status
        status = TaskStatus(status).value
        with self.db.session() as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            if task.status in TERMINAL:
                return  # first word wins: a late retry does not rewrite history
            task.status = status
            task.result = result
            task.error = (error or "").strip().splitlines()[0][:2000] if error else None
            task.finished_at = utcnow()
            task.started_at = task.started_at or task.finished_at

    def finish_tree(self, task_id: int, status: str, *, error: str | None = None) -> None:
        """End the task and every descendant still open with `status` (a job that stops
        before its children ran leaves none of them pending)."""
        for child in self.children(task_id):
            if child.status not in TERMINAL:
                self.finish_tree(child.id, status, error=error)
        self.finish(task_id, status, error=error)

    def set_canceled_by(self, task_id: int, who: str) -> None:
        """Record who canceled the task on it and on every descendant the cancel ends (those
        still open, or canceled with no name yet): readers show it once they say canceled."""
        with self.db.session() as s:
            frontier = [task_id]
            while frontier:
                rows = list(s.scalars(select(Task).where(Task.id.in_(frontier))))
                for t in rows:
                    if t.canceled_by is None and (
                        t.status not in TERMINAL or t.status == TaskStatus.CANCELED.value
                    ):
                        t.canceled_by = who[:64]
                q = select(Task.id).where(Task.parent_id.in_(frontier))
                frontier = list(s.scalars(q))

    def children(self, task_id: int) -> list[Task]:
        with self.db.session() as s:
            rows = s.scalars(select(Task).where(Task.parent_id == task_id).order_by(Task.id))
            out = list(rows)
            for t in out:
                s.expunge(t)
            return out

    def log(self, task_id: int, text: str) -> int:
        """Append a chunk to a task's log; returns its seq. One INSERT ... SELECT max(seq) + 1
        (a build appends a chunk every second or so: a select, an ORM flush and a commit each
        cost the worker more than the build's own bookkeeping); two writers racing for a seq
        meet the unique index, and the loser takes the next."""
        if not text:
            return -1
        stmt = _append_stmt(task_id, text)
        for _ in range(20):
            try:
                with self.db.engine.begin() as conn:
                    return int(conn.execute(stmt).scalar_one())
            except IntegrityError:
                time.sleep(0.01)  # another writer took this seq: take the next
        raise Conflict(f"could not append to the log of task {task_id}")

    def read_log(self, task_id: int, after: int = -1, limit: int = 1000) -> list[TaskLog]:
        with self.db.session() as s:
            rows = s.scalars(
                select(TaskLog)
                .where(TaskLog.task_id == task_id, TaskLog.seq > after)
                .order_by(TaskLog.seq)
                .limit(limit)
            )
            out = list(rows)
            for r in out:
                s.expunge(r)
            return out

    def status_of(self, task_id: int) -> tuple[str, datetime | None]:
        with self.db.session() as s:
            row = s.execute(
                select(Task.status, Task.finished_at).where(Task.id == task_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"task {task_id} does not exist")
            return row[0], row[1]


def _append_stmt(task_id: int, text: str) -> ReturningInsert[Any]:
    nxt = select(
        literal(task_id, Integer),
        func.coalesce(func.max(TaskLog.seq), -1) + 1,
        literal(utcnow(), DateTime(timezone=True)),
        literal(text, Text),
    ).where(TaskLog.task_id == task_id)
    cols = ["task_id", "seq", "created_at", "text"]
    return insert(TaskLog).from_select(cols, nxt).returning(TaskLog.seq)


class TaskLogWriter:
    """Buffers log text and appends it as chunks, at most every `interval` seconds or `limit`
    bytes, so a chatty build does not write one row per line (a reader following a log sees a
    line within about a second). Thread-safe; call close()."""

    def __init__(
        self, tasks: TaskService, task_id: int, interval: float = 1.0, limit: int = 64 * 1024
    ) -> None:
        self.tasks = tasks
        self.task_id = task_id
        self.interval = interval
        self.limit = limit
        self._buf: list[str] = []
        self._size = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self._buf.append(text)
            self._size += len(text)
            due = self._size >= self.limit or time.monotonic() - self._last >= self.interval
        if due:
            self.flush()

    def line(self, text: str) -> None:
        self.write(text if text.endswith("\n") else text + "\n")

    def flush(self) -> None:
        with self._lock:
            text = "".join(self._buf)
            self._buf.clear()
            self._size = 0
            self._last = time.monotonic()
        if text:
            self.tasks.log(self.task_id, text)

    def close(self) -> None:
        self.flush()
