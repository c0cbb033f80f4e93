"""Import revisions: what each import took from upstream and pinned in the forge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class ImportRevision(Base):
    __tablename__ = "import_revisions"
    __table_args__ = (Index("ix_import_revisions_project_package", "project_id", "package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    package_version_id: Mapped[int | None] = mapped_column(ForeignKey("package_versions.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    upstream_kind: Mapped[str] = mapped_column(String(16))
    upstream_url: Mapped[str] = mapped_column(String(1024))
    upstream_branch: Mapped[str | None] = mapped_column(String(255))
    upstream_ref: Mapped[str | None] = mapped_column(String(255))  # the tag or ref taken
    upstream_commit: Mapped[str | None] = mapped_column(String(64))
    patch_url: Mapped[str | None] = mapped_column(String(1024))
    patch_commit: Mapped[str | None] = mapped_column(String(64))
    forge_repo: Mapped[str] = mapped_column(String(512))  # <project>/rpms/<pkg>
    forge_branch: Mapped[str] = mapped_column(String(255))
    forge_commit: Mapped[str] = mapped_column(String(64))
    forge_tag: Mapped[str] = mapped_column(String(512))
    epoch: Mapped[int] = mapped_column(default=0)
    version: Mapped[str] = mapped_column(String(255))
    release: Mapped[str] = mapped_column(String(255))
    lookaside: Mapped[list[Any]] = mapped_column(default=list)  # [{path, sha256, size}]
    # what the spec said at import, for a build batch's order: {defines (their digest),
    # build_requires, provides}; None before they were kept, and for a module
    spec_facts: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportDiff(Base):
    """The upstream tree vs the committed tree of one import, computed by the worker at import
    time (the API only reads it: it never clones an upstream or parses a spec)."""

    __tablename__ = "import_diffs"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("import_revisions.id", ondelete="CASCADE"), primary_key=True
    )
    diff: Mapped[str] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(default=False)
