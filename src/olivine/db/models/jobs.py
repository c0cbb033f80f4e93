"""The start of each job's workflow, written with the job (an outbox): the reconciler starts the
workflow of any job committed but never started, and an Idempotency-Key finds its job again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class JobStart(Base):
    __tablename__ = "job_starts"
    __table_args__ = (
        Index("uq_job_starts_key", "submitter_id", "idempotency_key", unique=True),
        Index("ix_job_starts_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    workflow: Mapped[str] = mapped_column(String(64))  # the registered workflow name
    workflow_id: Mapped[str] = mapped_column(String(128), unique=True)
    queue: Mapped[str] = mapped_column(String(64))
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the input dataclass, as JSON
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what submit() answered
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
