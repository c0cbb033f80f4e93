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


# Infrastructure failures (a worker died, the DB blinked) are retried; domain errors are not.
DEFAULT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
    non_retryable_error_types=[
        "ValidationFailed",
        "NotFound",
        "Conflict",
        "Forbidden",
        "IntegrityFailure",
        "OlivineError",
        "UpstreamError",
        "BuildFailed",
    ],
)
SHORT = timedelta(minutes=2)


@dataclass
class TaskInput:
    """Every task-backed workflow takes its task id plus its own parameters."""

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
