"""The one reader and writer of batches of both kinds (import, build).

add_batch(s, kind, project_id, {package: id}, submitter_id) -> (batch, {package: item})
set_item(db, item_id, status, reason)           an item's outcome, from its workflow
get(db, batch_id, project_id=None) -> BatchView
list_batches(db, project_id, limit) -> [BatchView]   newest first, without their items
retry_packages(view) -> [package]               the retry rule, for either kind
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Batch, BatchItem, Package, Project, Task, User
from olivine.domain.scheduling import to_retry
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.jobs.status import TERMINAL


class BatchKind(StrEnum):
    IMPORT = "import"
    BUILD = "build"


class ItemStatus(StrEnum):
    PENDING = "pending"
    BUILDING = "building"  # a build batch's item whose Build runs
    BUILT = "built"
    IMPORTED = "imported"
    UNCHANGED = "unchanged"  # an import that found the forge already at this tree
    FAILED = "failed"
    SKIPPED = "skipped"  # a package it build-requires did not build
    CANCELED = "canceled"


@dataclass
class BatchItemRef:
    """One package of a batch and the rows made for it at submit."""

    item_id: int
    package: str
    task_id: int
    build_id: int | None = None


@dataclass
class ItemOutcome:
    package: str
    status: str
    reason: str | None = None


DONE = {BatchKind.IMPORT: {"imported", "unchanged"}, BatchKind.BUILD: {"built"}}


@dataclass(frozen=True)
class BatchItemView:
    item_id: int
    package: str
    status: str
    task_id: int | None
    reason: str | None


@dataclass(frozen=True)
class BatchView:
    id: int
    kind: BatchKind
    project_id: int
    project: str
    task_id: int | None
    task_status: str | None
    submitter: str | None
    created_at: datetime
    items: list[BatchItemView] = field(default_factory=list)
    item_counts: dict[str, int] = field(default_factory=dict)
    canceled_by: str | None = None  # who canceled the batch's task (when it is canceled)

    def counts(self) -> dict[str, int]:
        if not self.items:
            return dict(self.item_counts)
        out: dict[str, int] = {}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1
        return dict(sorted(out.items()))


def add_batch(
    s: Session, kind: BatchKind, project_id: int, packages: dict[str, int], submitter_id: int | None
) -> tuple[Batch, dict[str, BatchItem]]:
    """A batch and its pending items, in the caller's transaction."""
    if not packages:
        raise ValidationFailed(f"an {kind} batch needs at least one package")
    batch = Batch(kind=kind.value, project_id=project_id, submitter_id=submitter_id)
    s.add(batch)
    s.flush()
    items = {}
    for name, pkg_id in packages.items():
        items[name] = BatchItem(batch_id=batch.id, package_id=pkg_id, status=ItemStatus.PENDING)
        s.add(items[name])
    s.flush()
    return batch, items


@dataclass
class BatchTree:
    """What add_batch_tree wrote: the batch, its task, and per package its item and task."""

    batch: Batch
    task: Task
    children: dict[str, tuple[BatchItem, Task]]

    def refs(self, build_ids: dict[str, int] | None = None) -> list[BatchItemRef]:
        ids = build_ids or {}
        return [
            BatchItemRef(item.id, name, task.id, ids.get(name))
            for name, (item, task) in self.children.items()
        ]


def add_batch_tree(
    s: Session,
    kind: BatchKind,
    project: Any,
    packages: dict[str, int],
    submitter_id: int | None,
    verb: str,
) -> BatchTree:
    """A batch, its task (`<kind>-batch`, workflow `<kind>-batch-<batch id>`) and one child
    task per package (`<kind>`), in the caller's transaction."""
    from olivine.tasks.service import add_task

    batch, items = add_batch(s, kind, project.id, packages, submitter_id)
    where = f"{'into' if kind == BatchKind.IMPORT else 'in'} {project.name}"
    task = add_task(
        s,
        f"{kind}-batch",
        project_id=project.id,
        submitter_id=submitter_id,
        summary=f"{verb} {len(items)} packages {where}",
        params={"batch_id": batch.id},
        workflow_id=f"{kind}-batch-{batch.id}",
    )
    batch.task_id = task.id
    children = {}
    for name, item in items.items():
        child = add_task(
            s,
            kind.value,
            project_id=project.id,
            package_id=packages[name],
            parent_id=task.id,
            submitter_id=submitter_id,
            summary=f"{verb} {name} {where}",
            params={"package": name, "batch_id": batch.id},
        )
        item.task_id = child.id
        children[name] = (item, child)
    return BatchTree(batch, task, children)


def set_item(db: Database, item_id: int, status: str, reason: str | None = None) -> None:
    value = ItemStatus(status).value  # a status outside the enum is a bug in the caller
    with db.session() as s:
        item = s.get(BatchItem, item_id)
        if item is None:
            raise NotFound(f"batch item {item_id} does not exist")
        item.status, item.reason = value, reason


def _views(s: Session, q_where: list[object], limit: int) -> list[BatchView]:
    q = (
        select(Batch, Task.status, User.name, Project.name, Task.canceled_by)
        .join(Project, Project.id == Batch.project_id)
        .outerjoin(Task, Task.id == Batch.task_id)
        .outerjoin(User, User.id == Batch.submitter_id)
        .where(*q_where)  # type: ignore[arg-type]
        .order_by(Batch.id.desc())
        .limit(limit)
    )
    rows = s.execute(q).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    ids = [r[0].id for r in rows]
    if ids:
        cq = (
            select(BatchItem.batch_id, BatchItem.status, func.count())
            .where(BatchItem.batch_id.in_(ids))
            .group_by(BatchItem.batch_id, BatchItem.status)
        )
        for bid, status, n in s.execute(cq):
            counts[bid][status] = n
    return [
        BatchView(
            b.id,
            BatchKind(b.kind),
            b.project_id,
            pname,
            b.task_id,
            st,
            u,
            b.created_at,
            item_counts=dict(sorted(counts[b.id].items())),
            canceled_by=by if st == "canceled" else None,
        )
        for b, st, u, pname, by in rows
    ]


def list_batches(db: Database, project_id: int, limit: int = 100) -> list[BatchView]:
    with db.session() as s:
        return _views(s, [Batch.project_id == project_id], limit)


def get(db: Database, batch_id: int, project_id: int | None = None) -> BatchView:
    """A batch with its items; with `project_id`, only if it is a batch of that project."""
    with db.session() as s:
        found = _views(s, [Batch.id == batch_id], 1)
        if not found or (project_id is not None and found[0].project_id != project_id):
            where = "" if project_id is None else " in this project"
            raise NotFound(f"batch {batch_id} does not exist{where}")
        rows = s.execute(
            select(BatchItem, Package.name)
            .join(Package, Package.id == BatchItem.package_id)
            .where(BatchItem.batch_id == batch_id)
            .order_by(BatchItem.id)
        ).all()
    items = [BatchItemView(i.id, n, i.status, i.task_id, i.reason) for i, n in rows]
    v = found[0]
    return dataclasses.replace(v, items=items)


def retry_packages(view: BatchView) -> list[str]:
    """What a retry of `view` runs again, as a new batch of the same kind."""
    if view.task_status is not None and view.task_status not in TERMINAL:
        raise Conflict(
            f"{view.kind} batch {view.id} is still running (task {view.task_id}): "
            "wait for it or cancel it, then retry"
        )
    names = to_retry({i.package: i.status for i in view.items}, DONE[view.kind])
    if not names:
        raise ValidationFailed(
            f"{view.kind} batch {view.id} has nothing to retry: every item is done"
        )
    return names


@dataclass
class BatchSubmitted:
    """The answer to a batch submit of either kind: the batch as it starts."""

    batch_id: int
    task_id: int | None
    project: str
    kind: str
    counts: dict[str, int]
    items: list[dict[str, Any]]

    @classmethod
    def started(
        cls, kind: BatchKind, batch_id: int, task_id: int, project: Any, refs: list[BatchItemRef]
    ) -> BatchSubmitted:
        """The answer for a batch just written: every item pending."""
        items = [
            {"package": r.package, "status": "pending", "task_id": r.task_id, "reason": None}
            for r in refs
        ]
        return cls(batch_id, task_id, project.name, kind.value, {"pending": len(refs)}, items)

    @classmethod
    def of(cls, view: BatchView, project: str) -> BatchSubmitted:
        items = [
            {"package": i.package, "status": i.status, "task_id": i.task_id, "reason": i.reason}
            for i in view.items
        ]
        return cls(view.id, view.task_id, project, view.kind.value, view.counts(), items)
