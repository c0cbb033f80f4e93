"""The activity both batch workflows report their items' outcomes with (olivine.batches)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from olivine.batches.service import set_item
    from olivine.services import Services
    from olivine.workflows.common import bookkeeping


@dataclass
class ItemUpdate:
    item_id: int
    status: str
    reason: str | None = None


class BatchActivities:
    """`import_batch_item` and `build_batch_item` are the names each batch kind registered
    before the one batches component; both stay, since in-flight workflows call them."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def all(self) -> list[Callable[..., Any]]:
        return [self.import_item, self.build_item]

    @activity.defn(name="import_batch_item")
    def import_item(self, inp: ItemUpdate) -> None:
        set_item(self.svc.db, inp.item_id, inp.status, inp.reason)

    @activity.defn(name="build_batch_item")
    def build_item(self, inp: ItemUpdate) -> None:
        set_item(self.svc.db, inp.item_id, inp.status, inp.reason)


async def report_import(item_id: int, status: str, reason: str | None = None) -> None:
    await _report(BatchActivities.import_item, ItemUpdate(item_id, status, reason))


async def report_build(item_id: int, status: str, reason: str | None = None) -> None:
    await _report(BatchActivities.build_item, ItemUpdate(item_id, status, reason))


async def _report(method: Callable[[BatchActivities, ItemUpdate], None], inp: ItemUpdate) -> None:
    await bookkeeping(method, inp)
