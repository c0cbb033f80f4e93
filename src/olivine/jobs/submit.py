"""Recording a job: the task tree, the domain rows and its workflow's start, in one transaction.

A kind's submit() calls `record_job` with a function that writes its rows into the session and
returns the job's `Start` and the answer to give; `record_job` adds the start row (the outbox the
reconciler reads) and, with an Idempotency-Key, answers a repeated request with the first
answer instead of a second job. Then the kind calls `starter.launch`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import JobStart
from olivine.errors import Conflict, ValidationFailed
from olivine.workflows.client import check_payload_size

R = TypeVar("R")
QUEUE = "olivine"  # the orchestration queue (olivine.workflows.common.QUEUE)
MAX_KEY = 255


@dataclass(frozen=True)
class Start:
    """What starts a job's workflow: its registered name, an ID derived from the domain ID, and
    its input dataclass."""

    task_id: int
    workflow: str
    workflow_id: str
    input: Any
    queue: str = QUEUE


@dataclass(frozen=True)
class Key:
    """An Idempotency-Key, scoped to its submitter and to what was asked (kind + request)."""

    value: str
    submitter_id: int | None
    request: dict[str, Any]

    def digest(self) -> str:
        text = json.dumps(self.request, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def key_from(header: str | None, submitter_id: int | None, **request: Any) -> Key | None:
    if header is None:
        return None
    value = header.strip()
    if not value or len(value) > MAX_KEY:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY} characters")
    return Key(value, submitter_id, request)


def _payload(value: Any) -> dict[str, Any]:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return value
    raise TypeError(f"a workflow input must be a dataclass, not {type(value).__name__}")


def _repeat(s: Session, key: Key) -> JobStart | None:
    row = s.scalar(
        select(JobStart).where(
            JobStart.submitter_id == key.submitter_id, JobStart.idempotency_key == key.value
        )
    )
    if row is not None and row.request_hash != key.digest():
        raise Conflict(
            f"Idempotency-Key {key.value!r} was used for a different request (task "
            f"{row.task_id}); use a new key for a new request"
        )
    return row


def record_job(
    db: Database,
    key: Key | None,
    write: Callable[[Session], tuple[Start, R]],
    answer: Callable[[dict[str, Any]], R],
) -> tuple[R, Start | None]:
    """Run `write` and record its start in one transaction. A repeated key gives the first
    answer back (rebuilt by `answer`) and no start: that job is started already or will be."""
    if key is not None:
        with db.session() as s:
            row = _repeat(s, key)
            if row is not None:
                return answer(row.response), None
    try:
        with db.session() as s:
            start, out = write(s)
            # Too big for Temporal: refused here, so the transaction (task rows too) is undone.
            check_payload_size(start.input, f"the input of {start.workflow_id}")
            s.add(
                JobStart(
                    task_id=start.task_id,
                    workflow=start.workflow,
                    workflow_id=start.workflow_id,
                    queue=start.queue,
                    input=_payload(start.input),
                    submitter_id=key.submitter_id if key else None,
                    idempotency_key=key.value if key else None,
                    request_hash=key.digest() if key else None,
                    response=_payload(out),
                )
            )
    except IntegrityError:
        if key is None:
            raise
        with db.session() as s:  # the same key, committed a moment ago by a concurrent request
            row = _repeat(s, key)
            if row is None:
                raise
            return answer(row.response), None
    return out, start
