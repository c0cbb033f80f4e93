"""What a submit() is given by its caller (an API route, a web action): the services, a way to
reach Temporal, who asks, and the request's Idempotency-Key if it sent one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from olivine.jobs.starter import ClientFn, launch
from olivine.jobs.submit import Key, key_from
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
