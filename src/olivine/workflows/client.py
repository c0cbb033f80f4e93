"""The Temporal client, and starting task-backed workflows with domain workflow IDs."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from olivine.config import Settings
from olivine.errors import UpstreamError, ValidationFailed
from olivine.workflows.common import QUEUE

# Temporal refuses a payload over 2 MB (its default blob size limit) and the start then fails
# after the task row exists, leaving it pending for ever; inputs are kept well under that.
PAYLOAD_LIMIT = 1024 * 1024


class PayloadTooLarge(ValidationFailed):
    status = 413
    title = "Content too large"


def check_payload_size(obj: Any, what: str = "the workflow input") -> int:
    """The encoded size of `obj` as Temporal would carry it; PayloadTooLarge beyond
    PAYLOAD_LIMIT. Call it before any task or domain row is made for the workflow."""
    from temporalio.converter import default

    size = sum(p.ByteSize() for p in default().payload_converter.to_payloads([obj]))
    if size > PAYLOAD_LIMIT:
        raise PayloadTooLarge(
            f"{what} is {size / 1e6:.1f} MB once encoded, more than the "
            f"{PAYLOAD_LIMIT // 1024} KiB a task may carry; make it smaller"
        )
    return size


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

    check_payload_size(arg, f"the input of {workflow_id}")
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
