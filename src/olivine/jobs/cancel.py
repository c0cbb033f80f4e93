"""Cancel, truthfully: a task is shown canceled only once Temporal has accepted the cancel of its
workflow (the workflow then records `canceled` itself); Temporal unreachable is Unavailable
(503) and the task keeps its state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.service import RPCError, RPCStatusCode

from olivine.errors import Conflict, Unavailable
from olivine.jobs.starter import ClientFn
from olivine.jobs.status import TERMINAL, TaskStatus
from olivine.services import Services
from olivine.tasks.queries import root_workflow

RPC_TIMEOUT = timedelta(seconds=10)


async def cancel_task(svc: Services, client: ClientFn, task_id: int, by: str | None = None) -> None:
    """Cancel the task's job; `by` (the user asking) is recorded on every task it ends."""
    status, _ = await asyncio.to_thread(svc.tasks.status_of, task_id)
    if status in TERMINAL:
        raise Conflict(f"task {task_id} is already {status}")
    top, wf_id = await asyncio.to_thread(root_workflow, svc.db, task_id)
    if not wf_id or not await _cancel_workflow(client, wf_id, task_id):
        # no workflow runs it (its job not started yet): nothing else to stop, and the
        # reconciler does not start the job of a finished task
        await asyncio.to_thread(svc.tasks.finish, task_id, TaskStatus.CANCELED, error="canceled")
        top = task_id
    if by is not None:
        await asyncio.to_thread(svc.tasks.set_canceled_by, top, by)


async def _cancel_workflow(client: ClientFn, wf_id: str, task_id: int) -> bool:
    """Ask Temporal to cancel the workflow; False if there is no such workflow."""
    try:
        await (await client()).get_workflow_handle(wf_id).cancel(rpc_timeout=RPC_TIMEOUT)
        return True
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            return False
        raise Unavailable(
            f"Temporal did not accept the cancel of task {task_id} ({e.message}); "
            "the task goes on, try again"
        ) from None
