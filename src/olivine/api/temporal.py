"""The API's way to Temporal: one connection per app (made on first use, kept in app.state by
app.py), and the JobContext a submit() is given."""

from __future__ import annotations

import asyncio

from fastapi import Request
from temporalio.client import Client

from olivine.auth.policy import Principal
from olivine.config import Settings
from olivine.errors import Unavailable, UpstreamError
from olivine.jobs.context import JobContext
from olivine.workflows.client import connect

IDEMPOTENCY_HEADER = "Idempotency-Key"


class TemporalConnection:
    def __init__(self, settings: Settings, attempts: int = 10) -> None:
        self.settings = settings
        self.attempts = attempts
        self._client: Client | None = None
        self._lock: asyncio.Lock | None = None  # made in the app's event loop, on first use

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await connect(self.settings, attempts=self.attempts)
                except UpstreamError as e:
                    raise Unavailable(f"{e.message}; nothing was changed, try again") from None
            return self._client


def connection(request: Request) -> TemporalConnection:
    conn: TemporalConnection = request.app.state.temporal
    return conn


async def temporal(request: Request) -> Client:
    return await connection(request).client()


def job_context(request: Request, who: Principal) -> JobContext:
    """What a route hands a submit(): the services, Temporal, the caller, its Idempotency-Key."""
    return JobContext(
        request.app.state.services,
        connection(request).client,
        who.user_id,
        request.headers.get(IDEMPOTENCY_HEADER),
    )
