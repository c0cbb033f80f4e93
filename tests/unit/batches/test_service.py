"""The one batches reader and its retry rule, for both kinds."""

import pytest

from olivine.batches import service as batches
from olivine.batches.service import BatchKind
from olivine.db.base import Database
from olivine.db.models import Project
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.imports.records import package_id
from olivine.tasks.service import TaskService, add_task


def _batch(db: Database, kind: BatchKind, names: list[str]) -> tuple[int, int, dict[str, int]]:
    ids = {n: package_id(db, n) for n in names}
    with db.session() as s:
        p = Project(name=f"p-{kind}", spec={}, spec_sha256="0" * 64)
        s.add(p)
        s.flush()
        batch, items = batches.add_batch(s, kind, p.id, ids, None)
        task = add_task(s, f"{kind}-batch", project_id=p.id)
        batch.task_id = task.id
        return batch.id, task.id, {n: i.id for n, i in items.items()}


def test_build_batch_retry_takes_all_but_the_built(db: Database) -> None:
    bid, task, items = _batch(db, BatchKind.BUILD, ["a", "b", "c", "d"])
    view = batches.get(db, bid)
    assert view.kind == "build" and view.counts() == {"pending": 4} and view.project == "p-build"
    with pytest.raises(Conflict, match="still running"):
        batches.retry_packages(view)
    for name, status in (("a", "built"), ("b", "failed"), ("c", "skipped"), ("d", "canceled")):
        batches.set_item(db, items[name], status, None if status == "built" else "why")
    TaskService(db).finish(task, "succeeded")
    assert batches.retry_packages(batches.get(db, bid)) == ["b", "c", "d"]
    with pytest.raises(ValueError):
        batches.set_item(db, items["a"], "cancelled")  # one spelling


def test_import_batch_retry_and_a_done_batch(db: Database) -> None:
    bid, task, items = _batch(db, BatchKind.IMPORT, ["x", "y"])
    batches.set_item(db, items["x"], "imported")
    batches.set_item(db, items["y"], "unchanged")
    TaskService(db).finish(task, "succeeded")
    view = batches.get(db, bid)
    with pytest.raises(ValidationFailed, match="nothing to retry"):
        batches.retry_packages(view)
    assert [b.id for b in batches.list_batches(db, view.project_id)] == [bid]
    with pytest.raises(NotFound, match="in this project"):
        batches.get(db, bid, view.project_id + 1000)


def test_a_canceled_batch_says_who_canceled_it(db: Database) -> None:
    bid, task, _ = _batch(db, BatchKind.BUILD, ["w1", "w2"])
    tasks = TaskService(db)
    tasks.set_canceled_by(task, "carol")  # the cancel was asked; the task runs on meanwhile
    assert batches.get(db, bid).canceled_by is None
    tasks.finish(task, "canceled")
    assert batches.get(db, bid).canceled_by == "carol"
    assert [b.canceled_by for b in batches.list_batches(db, batches.get(db, bid).project_id)] == [
        "carol"
    ]
