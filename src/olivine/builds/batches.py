"""Build batches: many packages built in BuildRequires order, one summary per package
(built, failed and why, skipped because a dependency failed), and a retry of the rest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Batch, BatchItem, Package
from olivine.errors import NotFound, ValidationFailed

ITEM_STATUSES = ("pending", "building", "built", "failed", "skipped", "cancelled")
RETRIED = ("failed", "skipped", "pending", "building", "cancelled")


@dataclass(frozen=True)
class BuildBatchItem:
    item_id: int
    package: str
    status: str
    task_id: int | None
    reason: str | None


@dataclass(frozen=True)
class BuildBatch:
    id: int
    project_id: int
    task_id: int | None
    items: list[BuildBatchItem]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1
        return out


def create(
    db: Database, project_id: int, packages: list[str], submitter_id: int | None
) -> BuildBatch:
    names = list(dict.fromkeys(packages))
    if not names:
        raise ValidationFailed("a build batch needs at least one package")
    with db.session() as s:
        rows = dict(
            s.execute(select(Package.name, Package.id).where(Package.name.in_(names))).all()
        )
        missing = [n for n in names if n not in rows]
        if missing:
            raise NotFound(f"unknown packages: {', '.join(missing)} (import them first)")
        batch = Batch(kind="build", project_id=project_id, submitter_id=submitter_id)
        s.add(batch)
        s.flush()
        for n in names:
            s.add(BatchItem(batch_id=batch.id, package_id=rows[n], status="pending"))
        batch_id = batch.id
    return get(db, batch_id)


def attach(db: Database, batch_id: int, task_id: int, item_tasks: dict[int, int]) -> None:
    with db.session() as s:
        batch = s.get(Batch, batch_id)
        if batch is None:
            raise NotFound(f"build batch {batch_id} does not exist")
        batch.task_id = task_id
        for item in s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)):
            if item.id in item_tasks:
                item.task_id = item_tasks[item.id]


def set_item(db: Database, item_id: int, status: str, reason: str | None = None) -> None:
    if status not in ITEM_STATUSES:
        raise ValidationFailed(f"unknown batch item status {status!r}")
    with db.session() as s:
        item = s.get(BatchItem, item_id)
        if item is None:
            raise NotFound(f"batch item {item_id} does not exist")
        item.status, item.reason = status, reason


def get(db: Database, batch_id: int) -> BuildBatch:
    with db.session() as s:
        batch = s.get(Batch, batch_id)
        if batch is None or batch.kind != "build":
            raise NotFound(f"build batch {batch_id} does not exist")
        rows = s.execute(
            select(BatchItem, Package.name)
            .join(Package, Package.id == BatchItem.package_id)
            .where(BatchItem.batch_id == batch_id)
            .order_by(BatchItem.id)
        ).all()
        items = [BuildBatchItem(i.id, n, i.status, i.task_id, i.reason) for i, n in rows]
        return BuildBatch(batch.id, batch.project_id, batch.task_id, items)


def retry_packages(db: Database, batch_id: int) -> list[str]:
    """The packages `olivine batch retry` builds again: all but the built ones."""
    names = [i.package for i in get(db, batch_id).items if i.status in RETRIED]
    if not names:
        raise ValidationFailed(f"build batch {batch_id} has nothing to retry: every item built")
    return names
