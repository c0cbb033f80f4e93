"""What a submit() is given by its caller (an API route, a web action): the services, a way to
reach Temporal, who asks, and the request's Idempotency-Key if it sent one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from olivine.jobs.starter import ClientFn, launch
from olivine.jobs.submit import Key, Start, key_from
from olivine.services import Services

R = TypeVar("R")


@dataclass(frozen=True)
class JobContext:
    svc: Services
    client: ClientFn
    submitter_id: int | None
    idempotency_key: str | None = None

    def key(self, kind: str, **request: Any) -> Key | None:
        return key_from(self.idempotency_key, self.submitter_id, kind=kind, **request)

    async def launch(self, start: Any) -> None:
        await launch(self.svc.db, self.client, start)

    async def submit(self, record: Callable[..., tuple[R, Start | None]], *args: Any) -> R:
        """Run a kind's `record_*(ctx, *args)` (its one transaction) off the event loop, then
        start the job's workflow: the body of every kind's submit()."""
        out, start = await asyncio.to_thread(record, self, *args)
        await self.launch(start)
        return out
