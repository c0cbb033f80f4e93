"""Repositories and their immutable revisions (one per repo and arch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class Repository(Base):
    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)  # filters from the project file
    active: Mapped[bool] = mapped_column(default=True)
    # extra metadata given by the project (comps file content, modules.yaml, updateinfo.xml)
    comps_xml: Mapped[str | None] = mapped_column(Text)
    modules_yaml: Mapped[str | None] = mapped_column(Text)
    updateinfo_xml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepositoryRevision(Base):
    """An immutable state of one repo/arch: its repomd.xml and the metadata files it names."""

    __tablename__ = "repository_revisions"
    __table_args__ = (UniqueConstraint("repository_id", "arch", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), index=True
    )
    arch: Mapped[str] = mapped_column(String(32))  # x86_64, source, x86_64-debug ...
    number: Mapped[int]
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    repomd_xml: Mapped[str] = mapped_column(Text)
    files: Mapped[list[Any]] = mapped_column(default=list)  # [{type, href, sha256, size}]
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {added: [...], removed: [...]}
    package_count: Mapped[int] = mapped_column(default=0)
    chunks: Mapped[list[Any]] = mapped_column(default=list)  # RepoChunk ids, in file order
    timestamp: Mapped[int] = mapped_column(BigInteger, default=0)  # repomd <revision>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepoChunk(Base):
    """A run of packages (sorted, content-defined boundaries) shared by every revision and repo
    that holds exactly these packages; `blobs` names its compressed and plain XML objects."""

    __tablename__ = "repo_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of member sha256s
    artifact_ids: Mapped[list[Any]] = mapped_column(default=list)
    # {"primary.gz": {"sha256", "size", "open_sha256", "open_size"}, "primary.xml": {...}, ...}
    blobs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepositoryFile(Base):
    """A metadata object a repo has served (so /repodata/<sha256>-... is answered per repo)."""

    __tablename__ = "repository_files"
    __table_args__ = (UniqueConstraint("repository_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    href: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepositoryHead(Base):
    """Which revision of a repo/arch is served now (moved by publish and rollback)."""

    __tablename__ = "repository_heads"
    __table_args__ = (UniqueConstraint("repository_id", "arch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    arch: Mapped[str] = mapped_column(String(32))
    revision_id: Mapped[int] = mapped_column(ForeignKey("repository_revisions.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
