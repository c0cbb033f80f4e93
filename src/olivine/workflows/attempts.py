"""How an activity names its attempt in the task log: "attempt 2 of 5", from activity.info()
(the attempt, and the retry policy the workflow gave it)."""

from __future__ import annotations

from temporalio import activity


def attempt_text() -> str:
    """`attempt N of M`; `attempt N` when the policy sets no maximum (retries without end)."""
    info = activity.info()
    policy = info.retry_policy
    most = policy.maximum_attempts if policy is not None else 0
    return f"attempt {info.attempt} of {most}" if most else f"attempt {info.attempt}"


def retried() -> bool:
    """Whether this run of the activity is a retry (its log says so first)."""
    return activity.info().attempt > 1
