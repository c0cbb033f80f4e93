"""Artifacts: RPMs stored once in the object store (by sha256), metadata rendered once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class Artifact(Base):
    """One RPM or SRPM file. Shared by every project and repository that carries it."""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("ix_artifacts_nevra", "name", "version", "release", "arch"),
        Index("ix_artifacts_filename", "filename"),
        Index("ix_artifacts_source_name", "source_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(512))  # canonical <n>-<v>-<r>.<a>.rpm
    name: Mapped[str] = mapped_column(String(255))
    epoch: Mapped[int] = mapped_column(default=0)
    version: Mapped[str] = mapped_column(String(255))
    release: Mapped[str] = mapped_column(String(255))
    arch: Mapped[str] = mapped_column(String(32))  # 'src' for SRPMs
    sourcerpm: Mapped[str | None] = mapped_column(String(512))
    source_name: Mapped[str] = mapped_column(String(255), default="")  # name of the SRPM
    license: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    buildtime: Mapped[int | None] = mapped_column(BigInteger)
    size_installed: Mapped[int] = mapped_column(BigInteger, default=0)
    location_href: Mapped[str] = mapped_column(String(600), default="")  # Packages/<l>/<file>
    # pungi's multilib methods, decided once from the header's file list and provides
    multilib_runtime: Mapped[bool] = mapped_column(default=False)
    multilib_devel: Mapped[bool] = mapped_column(default=False)
    primary_xml: Mapped[str] = mapped_column(Text)
    filelists_xml: Mapped[str] = mapped_column(Text)
    other_xml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectArtifact(Base):
    """An artifact that belongs to a project: built there, or imported by a manager."""

    __tablename__ = "project_artifacts"
    __table_args__ = (UniqueConstraint("project_id", "artifact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # build | imported
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
