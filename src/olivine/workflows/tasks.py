"""Task bookkeeping activities and the wrapper every task-backed workflow runs its body in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from typing import Any, TypeVar

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from olivine.jobs.status import TaskStatus
    from olivine.services import Services
    from olivine.workflows.common import FinishInput, LogInput, bookkeeping

T = TypeVar("T")
# Patch marker: histories from before it await task_start before the body.
START_ALONGSIDE = "task-start-alongside-body"


class TaskActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="task_start")
    def task_start(self, task_id: int) -> None:
        self.svc.tasks.start(task_id)

    @activity.defn(name="task_finish")
    def task_finish(self, inp: FinishInput) -> None:
        self.svc.tasks.finish(inp.task_id, inp.status, result=inp.result, error=inp.error)

    @activity.defn(name="task_log")
    def task_log(self, inp: LogInput) -> None:
        self.svc.tasks.log(inp.task_id, inp.text)


def error_message(err: BaseException) -> str:
    """The innermost message of a failure (activity, child workflow): what the user reads."""
    cause: BaseException | None = err
    while isinstance(cause, FailureError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, FailureError):
        return cause.message
    return str(cause or err)


def as_result(value: Any) -> dict[str, Any] | None:
    """A workflow's result as a task row keeps it."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value if isinstance(value, dict) else None


async def finish(task_id: int, status: TaskStatus, **kw: Any) -> None:
    await bookkeeping(TaskActivities.task_finish, FinishInput(task_id, status.value, **kw))


async def log(task_id: int, text: str) -> None:
    await bookkeeping(TaskActivities.task_log, LogInput(task_id, text + "\n"))


async def run_task(task_id: int, body: Callable[[], Awaitable[T]]) -> T:
    """Mark the task running, run `body`, and record its outcome (result, failure or cancel).
    The start is written alongside the body (awaited before any finish)."""
    start = bookkeeping(TaskActivities.task_start, task_id)
    if workflow.patched(START_ALONGSIDE):
        started: asyncio.Task[None] | None = asyncio.ensure_future(start)
    else:
        await start
        started = None
    try:
        result = await body()
    except (asyncio.CancelledError, CancelledError):
        await asyncio.shield(_ended(started, task_id, TaskStatus.CANCELED, error="canceled"))
        raise
    except (ActivityError, ApplicationError) as e:
        message = error_message(e)
        await _ended(started, task_id, TaskStatus.FAILED, error=message)
        raise ApplicationError(message, non_retryable=True) from None
    await _ended(started, task_id, TaskStatus.SUCCEEDED, result=as_result(result))
    return result


async def _ended(
    started: asyncio.Task[None] | None, task_id: int, status: TaskStatus, **kw: Any
) -> None:
    if started is not None:  # a failed start: the finish records the outcome all the same
        with contextlib.suppress(ActivityError, asyncio.CancelledError, CancelledError):
            await started
    await finish(task_id, status, **kw)
