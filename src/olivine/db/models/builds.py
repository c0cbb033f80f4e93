"""Builds of pinned imports, and the build root each arch build ran in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow

# A NEVR is built once into a project: at most one non-scratch build of it is building or
# complete (a failed or cancelled build frees it for another try).
_CLAIMS = "scratch = false AND status IN ('building', 'complete')"


class Build(Base):
    __tablename__ = "builds"
    __table_args__ = (
        Index("ix_builds_project_package", "project_id", "package_id"),
        Index(
            "uq_builds_project_nevr",
            "project_id",
            "package_id",
            "epoch",
            "version",
            "release",
            unique=True,
            sqlite_where=text(_CLAIMS),
            postgresql_where=text(_CLAIMS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    import_revision_id: Mapped[int] = mapped_column(ForeignKey("import_revisions.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scratch: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)  # one line, for a failed build
    epoch: Mapped[int | None]
    version: Mapped[str | None] = mapped_column(String(255))
    release: Mapped[str | None] = mapped_column(String(255))
    arches: Mapped[list[Any]] = mapped_column(default=list)
    forge_commit: Mapped[str | None] = mapped_column(String(64))  # the pinned source
    srpm_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class BuildRoot(Base):
    """What one arch build was built in: each package with NEVRA and sha256, or host-provided."""

    __tablename__ = "build_roots"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    arch: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="building")
    reason: Mapped[str | None] = mapped_column(Text)
    entries: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
