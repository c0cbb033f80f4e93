"""One Temporal client per API process, connected on first use."""

from __future__ import annotations

import asyncio

from fastapi import Request
from temporalio.client import Client

from olivine.workflows.client import connect

_lock = asyncio.Lock()


async def temporal(request: Request) -> Client:
    client: Client | None = getattr(request.app.state, "temporal", None)
    if client is not None:
        return client
    async with _lock:
        client = getattr(request.app.state, "temporal", None)
        if client is None:
            client = await connect(request.app.state.services.settings, attempts=10)
            request.app.state.temporal = client
        return client
