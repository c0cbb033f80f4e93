"""Import batches: many packages, one summary, and a retry of the failed ones."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Batch, BatchItem, Package
from olivine.errors import NotFound, ValidationFailed
from olivine.imports import records


@dataclass(frozen=True)
class BatchItemView:
    item_id: int
    package: str
    status: str  # pending | imported | unchanged | failed
    task_id: int | None
    reason: str | None


@dataclass(frozen=True)
class BatchView:
    id: int
    kind: str
    project_id: int
    task_id: int | None
    items: list[BatchItemView]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1
        return out


def create(
    db: Database, project_id: int, packages: list[str], submitter_id: int | None
) -> BatchView:
    if not packages:
        raise ValidationFailed("an import batch needs at least one package")
    ids = {name: records.package_id(db, name) for name in dict.fromkeys(packages)}
    with db.session() as s:
        batch = Batch(kind="import", project_id=project_id, submitter_id=submitter_id)
        s.add(batch)
        s.flush()
        for pid in ids.values():
            s.add(BatchItem(batch_id=batch.id, package_id=pid))
        batch_id = batch.id
    return get(db, batch_id)


def attach_tasks(db: Database, batch_id: int, task_id: int, item_tasks: dict[int, int]) -> None:
    """Record the batch's task and each item's task (item id -> task id)."""
    with db.session() as s:
        batch = s.get(Batch, batch_id)
        assert batch is not None
        batch.task_id = task_id
        for item in s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)):
            if item.id in item_tasks:
                item.task_id = item_tasks[item.id]
                item.status = "pending"
                item.reason = None


def set_item(db: Database, item_id: int, status: str, reason: str | None = None) -> None:
    with db.session() as s:
        item = s.get(BatchItem, item_id)
        if item is None:
            raise NotFound(f"batch item {item_id} does not exist")
        item.status = status
        item.reason = reason


def get(db: Database, batch_id: int) -> BatchView:
    with db.session() as s:
        batch = s.get(Batch, batch_id)
        if batch is None or batch.kind != "import":
            raise NotFound(f"import batch {batch_id} does not exist")
        rows = s.execute(
            select(BatchItem, Package.name)
            .join(Package, Package.id == BatchItem.package_id)
            .where(BatchItem.batch_id == batch_id)
            .order_by(BatchItem.id)
        ).all()
        items = [BatchItemView(i.id, name, i.status, i.task_id, i.reason) for i, name in rows]
        return BatchView(batch.id, batch.kind, batch.project_id, batch.task_id, items)


def failed_items(db: Database, batch_id: int) -> list[BatchItemView]:
    """The items a retry runs again: failed ones (and any left pending by a dead batch)."""
    return [i for i in get(db, batch_id).items if i.status in ("failed", "pending")]
