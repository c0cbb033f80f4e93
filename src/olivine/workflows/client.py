"""The Temporal client, and starting task-backed workflows with domain workflow IDs."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from olivine.config import Settings
from olivine.errors import UpstreamError
from olivine.workflows.common import QUEUE


async def connect(settings: Settings, attempts: int = 1) -> Client:
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await Client.connect(
                settings.temporal_target, namespace=settings.temporal_namespace
            )
        except (RPCError, RuntimeError, OSError) as e:
            last = e
            await asyncio.sleep(0.5)
    raise UpstreamError(f"cannot reach Temporal at {settings.temporal_target}: {last}")


async def start(
    client: Client, workflow: str, arg: Any, workflow_id: str, queue: str = QUEUE
) -> WorkflowHandle[Any, Any]:
    """Start a workflow; a repeated start with the same ID is a no-op returning the handle."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    try:
        return await client.start_workflow(
            workflow,
            arg,
            id=workflow_id,
            task_queue=queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(workflow_id)
