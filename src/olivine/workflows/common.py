"""Names, inputs and policies shared by every workflow (orchestration only; no domain logic)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

QUEUE = "olivine"  # orchestration: workflows and light activities
REPO_QUEUE = "olivine-repo"
SIGN_QUEUE = "olivine-sign"


def build_queue(arch: str) -> str:
    return f"olivine-build-{arch}"


def queues_for_arch(arch: str) -> list[str]:
    """The build queues a worker of this machine arch serves (x86_64 also builds i686, noarch)."""
    extra = {"x86_64": ["i686", "noarch"]}.get(arch, [])
    return [build_queue(a) for a in [arch, *extra]]


# The one retry rule: every failure is retried with backoff, except what the worker interceptor
# (olivine.workflows.interceptors) marks final: a domain error whose `retryable` is False (bad
# input fails at once; UpstreamError, GitError and other network failures are retried).
DEFAULT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
SHORT = timedelta(minutes=2)

A = TypeVar("A")
S = TypeVar("S")
# Patch marker: histories from before it run the bookkeeping writes as (queued) activities.
LOCAL_BOOKKEEPING = "bookkeeping-as-local-activities"


def bookkeeping(method: Callable[[S, A], None], arg: A) -> Awaitable[None]:
    """A short write of the orchestration's own rows (a task started, finished or logged, a
    batch item's outcome) as a local activity: the worker that runs the workflow runs it at
    once, with no schedule, dispatch and completion through the server's queues (a Build made
    five such round trips; each cost the server and the worker more CPU than the write). The
    retry policy and the domain-error rule (the worker interceptor) are the same."""
    opts: dict[str, Any] = {"start_to_close_timeout": SHORT, "retry_policy": DEFAULT_RETRY}
    if workflow.patched(LOCAL_BOOKKEEPING):
        return workflow.execute_local_activity_method(method, arg, **opts)
    return workflow.execute_activity_method(method, arg, **opts)


@dataclass
class TaskInput:
    """The input of workflows not yet given their own dataclass (and of every task-backed
    workflow before the job layer): a task id plus parameters."""

    task_id: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FinishInput:
    task_id: int
    status: str
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class LogInput:
    task_id: int
    text: str
