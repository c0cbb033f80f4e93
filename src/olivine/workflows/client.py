"""The Temporal client (jobs start their workflows through olivine.jobs.starter)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.service import RPCError

from olivine.config import Settings
from olivine.errors import UpstreamError


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
