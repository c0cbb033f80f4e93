"""What a batch's page says of it: its own outcome from its items, and which failed items a
retry can change. Pure functions over the batch reader's view (olivine.batches.service)."""

from __future__ import annotations

from olivine.batches.service import DONE, BatchItemView, BatchView
from olivine.jobs.status import TERMINAL

# Reasons of a build refused for what it is, not for what happened while it ran: running it
# again, unchanged, ends the same way (a new import, with a bumped Release or other arches, is
# what changes them).
REFUSALS = (
    "is already built into this project",
    "no arch to build",
    "ExclusiveArch",
    "ExcludeArch",
)
BAD = frozenset({"failed", "skipped", "canceled"})


def refused(item: BatchItemView) -> bool:
    return item.status == "failed" and any(r in (item.reason or "") for r in REFUSALS)


def retryable(view: BatchView, item: BatchItemView) -> bool:
    """An item a retry runs again and may change: not done, not refused."""
    return item.status not in DONE[view.kind] and not refused(item)


def outcome(view: BatchView) -> str | None:
    """The batch's own status: its task's while it runs or when canceled; once it ended,
    `failed` when every item failed (or was skipped or canceled), `partial` when some did,
    else the task's (`succeeded`, or `failed` when the batch itself failed)."""
    status = view.task_status
    if status is None or status not in TERMINAL or status == "canceled":
        return status
    counts = view.counts()
    bad = sum(n for s, n in counts.items() if s in BAD)
    if bad and bad == sum(counts.values()):
        return "failed"
    if bad:
        return "partial"
    return status
