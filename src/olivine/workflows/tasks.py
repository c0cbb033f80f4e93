"""Task bookkeeping activities and the wrapper every task-backed workflow runs its body in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from olivine.services import Services
    from olivine.workflows.common import DEFAULT_RETRY, SHORT, FinishInput, LogInput


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
    """The innermost message of an activity failure: what the user should read."""
    cause: BaseException | None = err
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or err)


async def run_task(task_id: int, body: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """Mark the task running, run `body`, and record its outcome (result, failure or cancel)."""
    opts: dict[str, Any] = {"start_to_close_timeout": SHORT, "retry_policy": DEFAULT_RETRY}
    await workflow.execute_activity("task_start", task_id, **opts)
    try:
        result = await body()
    except (asyncio.CancelledError, CancelledError):
        await asyncio.shield(
            workflow.execute_activity(
                "task_finish", FinishInput(task_id, "canceled", error="cancelled"), **opts
            )
        )
        raise
    except (ActivityError, ApplicationError) as e:
        message = error_message(e)
        await workflow.execute_activity(
            "task_finish", FinishInput(task_id, "failed", error=message), **opts
        )
        raise ApplicationError(message, non_retryable=True) from None
    await workflow.execute_activity(
        "task_finish", FinishInput(task_id, "succeeded", result=result), **opts
    )
    return result
