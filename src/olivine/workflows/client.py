"""The Temporal client (jobs start their workflows through olivine.jobs.starter)."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from olivine.config import Settings
from olivine.errors import UpstreamError, ValidationFailed

# Temporal refuses a payload over 2 MB (its default blob size limit) and the start then fails
# after the task row exists, leaving it pending for ever; record_job refuses bigger inputs.
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
