"""A project's catalog and versions as the pages list them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    Package,
    PackageVersion,
    Project,
    ProjectArtifact,
    ProjectPackage,
    Repository,
    RepositoryHead,
    RepositoryRevision,
)
from olivine.repos.revisions import _members


def catalog_page(
    db: Database, project_id: int, offset: int, limit: int, name_like: str | None
) -> tuple[int, list[tuple[int, str, bool]]]:
    """(total, [(package id, name, active)]) of the catalog, by name; `name_like` a glob."""
    with db.session() as s:
        q = (
            select(Package.id, Package.name, ProjectPackage.active)
            .join(ProjectPackage, ProjectPackage.package_id == Package.id)
            .where(ProjectPackage.project_id == project_id)
        )
        if name_like:
            q = q.where(Package.name.like(name_like.replace("*", "%")))
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.execute(q.order_by(Package.name).offset(offset).limit(limit)).all()
        return total, [(r[0], r[1], r[2]) for r in rows]


def package_versions(db: Database, project_id: int, package_id: int) -> list[PackageVersion]:
    with db.session() as s:
        rows = list(
            s.scalars(
                select(PackageVersion)
                .where(
                    PackageVersion.project_id == project_id, PackageVersion.package_id == package_id
                )
                .order_by(PackageVersion.id.desc())
            )
        )
        s.expunge_all()
        return rows


@dataclass(frozen=True)
class PackageHit:
    project: str
    package: str
    active: bool


def find_projects(db: Database, project_ids: list[int], text: str, limit: int = 20) -> list[str]:
    """Names of these projects that contain `text` (any case)."""
    if not project_ids or not text:
        return []
    with db.session() as s:
        q = (
            select(Project.name)
            .where(Project.id.in_(project_ids), Project.name.icontains(text, autoescape=True))
            .order_by(Project.name)
            .limit(limit)
        )
        return list(s.scalars(q))


def find_packages(
    db: Database, project_ids: list[int], text: str, limit: int = 50
) -> list[PackageHit]:
    """Packages of these projects whose name contains `text`; exact names first."""
    if not project_ids or not text:
        return []
    with db.session() as s:
        q = (
            select(Project.name, Package.name, ProjectPackage.active)
            .join(ProjectPackage, ProjectPackage.project_id == Project.id)
            .join(Package, Package.id == ProjectPackage.package_id)
            .where(Project.id.in_(project_ids), Package.name.icontains(text, autoescape=True))
            .order_by((Package.name != text), Package.name, Project.name)
            .limit(limit)
        )
        return [PackageHit(p, n, a) for p, n, a in s.execute(q)]


@dataclass(frozen=True)
class Publication:
    """A repository and arch whose current head carries a version of a package."""

    repository: str
    arch: str
    number: int


def package_publications(
    db: Database, project_id: int, package: str
) -> dict[str, list[Publication]]:
    """NEVR (`[epoch:]version-release`) -> where the package's RPMs of that version are
    published now: every repository (the reserved `all` too) and arch whose current head
    revision carries one of them. The package's artifacts are found first (few), then each
    head's members are checked against them."""
    with db.session() as s:
        q = (
            select(Artifact.id, Artifact.epoch, Artifact.version, Artifact.release)
            .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
            .where(ProjectArtifact.project_id == project_id, Artifact.source_name == package)
        )
        nevr_of = {i: f"{e}:{v}-{r}" if e else f"{v}-{r}" for i, e, v, r in s.execute(q)}
        if not nevr_of:
            return {}
        heads = s.execute(
            select(Repository.name, RepositoryRevision)
            .join(RepositoryHead, RepositoryHead.repository_id == Repository.id)
            .join(RepositoryRevision, RepositoryRevision.id == RepositoryHead.revision_id)
            .where(Repository.project_id == project_id)
            .order_by((Repository.name != "all"), Repository.name, RepositoryRevision.arch)
        ).all()
        out: dict[str, list[Publication]] = {}
        for repo, rev in heads:
            found = {nevr_of[i] for i in _members(s, rev) if i in nevr_of}
            for n in sorted(found):
                out.setdefault(n, []).append(Publication(repo, rev.arch, rev.number))
        return out
