"""Module builds: one row per submission, one per context it builds (NSVC), one per component
build of a context. The final modulemd of each arch is kept with its context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow

# An NSVC is built once into a project: at most one context of it is building or complete.
_CLAIMS = "status IN ('building', 'complete')"


class ModuleBuild(Base):
    __tablename__ = "module_builds"
    __table_args__ = (Index("ix_module_builds_project_name", "project_id", "name", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    import_revision_id: Mapped[int] = mapped_column(ForeignKey("import_revisions.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(255))
    stream: Mapped[str] = mapped_column(String(255))
    source_commit: Mapped[str] = mapped_column(String(64))  # the module's forge commit
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    groups: Mapped[list[Any]] = mapped_column(default=list)  # component names per build group
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ModuleContext(Base):
    __tablename__ = "module_contexts"
    __table_args__ = (
        Index(
            "uq_module_contexts_nsvc",
            "project_id",
            "name",
            "stream",
            "version",
            "context",
            unique=True,
            sqlite_where=text(_CLAIMS),
            postgresql_where=text(_CLAIMS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_build_id: Mapped[int] = mapped_column(
        ForeignKey("module_builds.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    stream: Mapped[str] = mapped_column(String(255))
    # 20 digits for el10 and later: beyond a signed 64-bit integer, so kept as text
    version: Mapped[str] = mapped_column(String(20))
    context: Mapped[str] = mapped_column(String(16))
    dist_tag: Mapped[str] = mapped_column(String(128))
    variant: Mapped[int] = mapped_column(default=0)  # which stream document of the source
    status: Mapped[str] = mapped_column(String(16), default="building")
    buildrequires: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requires: Mapped[dict[str, Any]] = mapped_column(default=dict)
    macros: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the module's rpm macros
    documents: Mapped[dict[str, Any]] = mapped_column(default=dict)  # arch -> modulemd YAML
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleComponent(Base):
    __tablename__ = "module_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_context_id: Mapped[int] = mapped_column(
        ForeignKey("module_contexts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    group_index: Mapped[int]
    commit: Mapped[str] = mapped_column(String(64))
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
