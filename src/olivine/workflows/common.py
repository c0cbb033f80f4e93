"""Names, inputs and policies shared by every workflow (orchestration only; no domain logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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
