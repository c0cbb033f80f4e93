"""The batch page's rules: the batch's own outcome from its items, and which items a retry can
change (a refusal such as "already built" is not one)."""

from __future__ import annotations

from datetime import UTC, datetime

from olivine.batches.rules import outcome, refused, retryable
from olivine.batches.service import BatchItemView, BatchKind, BatchView

ALREADY = "1.0-1.el9 is already built into this project (build 2): bump the Release"


def view(task: str | None, *items: tuple[str, str | None], kind: str = "build") -> BatchView:
    rows = [BatchItemView(i, f"p{i}", s, i, r) for i, (s, r) in enumerate(items)]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return BatchView(1, BatchKind(kind), 1, "el9", 9, task, "ada", when, rows)


def test_outcome_follows_the_items_once_the_batch_ended() -> None:
    assert outcome(view("succeeded", ("built", None), ("built", None))) == "succeeded"
    assert outcome(view("succeeded", ("failed", ALREADY), ("skipped", "dep"))) == "failed"
    assert outcome(view("succeeded", ("built", None), ("failed", "boom"))) == "partial"
    assert outcome(view("failed", ("built", None))) == "failed"
    assert outcome(view("running", ("failed", "boom"))) == "running"
    assert outcome(view("canceled", ("built", None), ("canceled", None))) == "canceled"
    assert outcome(view(None)) is None
    imports = view("succeeded", ("imported", None), ("unchanged", None), kind="import")
    assert outcome(imports) == "succeeded"


def test_retry_only_what_a_retry_can_change() -> None:
    skipped = ("skipped", "dependency p1 did not build")
    v = view("succeeded", ("built", None), ("failed", ALREADY), ("failed", "%build failed"),
             skipped, ("failed", "no arch to build"))  # fmt: skip
    assert [i.package for i in v.items if retryable(v, i)] == ["p2", "p3"]
    assert [i.package for i in v.items if refused(i)] == ["p1", "p4"]
    imports = view(
        "succeeded", ("unchanged", None), ("failed", "branch c9 not found"), kind="import"
    )
    assert [i.package for i in imports.items if retryable(imports, i)] == ["p1"]


def test_a_retry_runs_what_the_rule_allows_or_says_why_not() -> None:
    import pytest

    from olivine.batches.retry import retry_names
    from olivine.errors import Conflict, ValidationFailed

    v = view("succeeded", ("built", None), ("failed", ALREADY), ("failed", "%build failed"))
    assert retry_names(v) == ["p2"]
    with pytest.raises(ValidationFailed, match="nothing a retry can change: what failed was"):
        retry_names(view("succeeded", ("built", None), ("failed", ALREADY)))
    with pytest.raises(ValidationFailed, match="every item is done"):
        retry_names(view("succeeded", ("built", None)))
    with pytest.raises(Conflict, match="still running"):
        retry_names(view("running", ("failed", ALREADY)))
