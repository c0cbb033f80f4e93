"""What a task belongs to, for `olivine task show`: the build it is (or is an arch build of),
the batch it is (an item of), the import revision it made or builds. Found from the task up
through its parents (an arch build's parent is its build's task)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Batch, BatchItem, Build, ImportRevision, Task


@dataclass(frozen=True)
class TaskLinks:
    build_id: int | None = None
    batch_id: int | None = None
    import_revision_id: int | None = None


def belongs_to(db: Database, task_id: int) -> TaskLinks:
    with db.session() as s:
        chain = _chain(s, task_id)
        build = s.scalar(select(Build).where(Build.task_id.in_(chain)).limit(1))
        batch = s.scalar(
            select(BatchItem.batch_id).where(BatchItem.task_id.in_(chain)).limit(1)
        ) or s.scalar(select(Batch.id).where(Batch.task_id.in_(chain)).limit(1))
        rev = build.import_revision_id if build is not None else None
        if rev is None:
            q = select(ImportRevision.id).where(ImportRevision.task_id.in_(chain))
            rev = s.scalar(q.order_by(ImportRevision.id.desc()).limit(1))
        if build is None:
            return TaskLinks(None, batch, rev)
        return TaskLinks(build.id, batch or build.batch_id, rev)


def _chain(s: Session, task_id: int) -> list[int]:
    """The task and its ancestors, nearest first (bounded: a tree is a few levels deep)."""
    out: list[int] = []
    current: int | None = task_id
    while current is not None and current not in out and len(out) < 16:
        out.append(current)
        t = s.get(Task, current)
        current = t.parent_id if t is not None else None
    return out
