"""Projects (distributions), packages and a project's catalog of packages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    public: Mapped[bool] = mapped_column(default=True)
    spec: Mapped[dict[str, Any]]  # the validated project file, normalised
    spec_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Package(Base):
    """A source package name, shared by every project that carries it."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectPackage(Base):
    """A package in a project's catalog, with its per-package settings from the project file."""

    __tablename__ = "project_packages"
    __table_args__ = (UniqueConstraint("project_id", "package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)  # false once removed from the file
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PackageVersion(Base):
    """An EVR of a package in a project, as imported; builds and artifacts point back to it."""

    __tablename__ = "package_versions"
    __table_args__ = (UniqueConstraint("project_id", "package_id", "epoch", "version", "release"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    epoch: Mapped[int] = mapped_column(default=0)
    version: Mapped[str] = mapped_column(String(255))
    release: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
