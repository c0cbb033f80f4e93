"""Apply a project file (idempotent) and read projects and their catalogs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database, utcnow
from olivine.db.models import (
    ImportRevision,
    Package,
    Project,
    ProjectArtifact,
    ProjectPackage,
    Repository,
)
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.catalog import Catalog, CatalogEntry, catalog, project_file
from olivine.projects.groups import check_comps
from olivine.projects.schema import ProjectFile

ALL_REPO = "all"
# The keys of a repository entry that decide what its published metadata holds.
CONTENT_KEYS = (
    "packages",
    "include",
    "exclude",
    "multilib",
    "additional_multilib",
    "exclude_multilib",
    "keep",
    "compress",
)


@dataclass(frozen=True)
class RepositoryChange:
    """A repository whose published metadata must be made again, and why."""

    name: str
    why: list[str]  # "new", "restored", "arches", "groups", or the changed keys


@dataclass
class ApplyResult:
    project: str
    project_id: int
    created: bool
    changes: list[str] = field(default_factory=list)
    republish: list[RepositoryChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.changes

    @property
    def changed_repositories(self) -> list[str]:
        return [r.name for r in self.republish]


@dataclass(frozen=True)
class PackageRow:
    name: str
    active: bool
    settings: dict[str, Any]
    latest_import: dict[str, Any] | None


def spec_digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


class ProjectService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def apply(
        self, pf: ProjectFile, actor_id: int | None, comps: Mapping[str, str] | None = None
    ) -> ApplyResult:
        """Make the project match the file. `comps`: each repository's comps XML (the content
        of the `groups:` file, which the client sent; see projects.groups.comps_for)."""
        comps = _checked_comps(pf, comps or {})
        spec = pf.normalised()
        digest = spec_digest(spec)
        with self.db.session() as s:
            project = s.scalar(select(Project).where(Project.name == pf.name))
            created = project is None
            changes: list[str] = []
            old_arches = list(project.spec.get("arches") or []) if project else pf.arches
            if project is None:
                project = Project(
                    name=pf.name,
                    public=pf.public,
                    spec=spec,
                    spec_sha256=digest,
                    created_by_id=actor_id,
                )
                s.add(project)
                s.flush()
                changes.append(f"created project {pf.name}")
            elif project.spec_sha256 != digest:
                changes += _spec_changes(project.spec, spec)
                project.spec = spec
                project.spec_sha256 = digest
                project.public = pf.public
                project.updated_at = utcnow()
            changes += _apply_packages(s, project.id, pf)
            repo_changes, republish = _apply_repositories(
                s, project.id, pf, comps, arches_changed=old_arches != pf.arches
            )
            changes += repo_changes
            if not _has_rpms(s, project.id):
                republish = []  # nothing to publish yet: the first RPM's publish makes them
            return ApplyResult(pf.name, project.id, created, changes, republish)

    def all(self) -> list[Project]:
        with self.db.session() as s:
            rows = list(s.scalars(select(Project).order_by(Project.name)))
            s.expunge_all()
            return rows

    def get(self, name: str) -> Project:
        with self.db.session() as s:
            project = s.scalar(select(Project).where(Project.name == name))
            if project is None:
                raise NotFound(f"project {name} does not exist")
            s.expunge(project)
            return project

    def file(self, name: str) -> ProjectFile:
        return project_file(self.get(name))

    def catalog(self, name: str) -> Catalog:
        return catalog(self.db, name)

    def packages(
        self, project: str, offset: int = 0, limit: int = 100, name_like: str | None = None
    ) -> tuple[int, list[PackageRow]]:
        with self.db.session() as s:
            pid = self.get(project).id
            q = (
                select(Package.name, ProjectPackage.active, ProjectPackage.settings, Package.id)
                .join(ProjectPackage, ProjectPackage.package_id == Package.id)
                .where(ProjectPackage.project_id == pid)
            )
            if name_like:
                q = q.where(Package.name.like(name_like.replace("*", "%")))
            total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
            rows = s.execute(q.order_by(Package.name).offset(offset).limit(limit)).all()
            return total, [
                PackageRow(n, a, st, _latest_import(s, pid, pkg_id)) for n, a, st, pkg_id in rows
            ]

    def package_id(self, project: str, package: str) -> tuple[int, int]:
        with self.db.session() as s:
            row = s.execute(
                select(Project.id, Package.id)
                .join(ProjectPackage, ProjectPackage.project_id == Project.id)
                .join(Package, Package.id == ProjectPackage.package_id)
                .where(Project.name == project, Package.name == package)
            ).one_or_none()
            if row is None:
                self.get(project)
                raise NotFound(f"package {package} is not in project {project}")
            return int(row[0]), int(row[1])


def _latest_import(s: Session, project_id: int, package_id: int) -> dict[str, Any] | None:
    rev = s.scalar(
        select(ImportRevision)
        .where(ImportRevision.project_id == project_id, ImportRevision.package_id == package_id)
        .order_by(ImportRevision.id.desc())
        .limit(1)
    )
    if rev is None:
        return None
    return {
        "id": rev.id,
        "nevr": f"{rev.version}-{rev.release}"
        if not rev.epoch
        else f"{rev.epoch}:{rev.version}-{rev.release}",
        "forge_commit": rev.forge_commit,
        "created_at": rev.created_at.isoformat(),
    }


def _spec_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    skip = {"packages", "repositories"}
    return [
        f"changed {key}: {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}"
        for key in sorted(set(old) | set(new) - skip)
        if key not in skip and old.get(key) != new.get(key)
    ]


def _apply_packages(s: Session, project_id: int, pf: ProjectFile) -> list[str]:
    changes: list[str] = []
    wanted = {p.name: CatalogEntry.settings_of(p) for p in pf.packages}
    existing = {
        name: pp
        for name, pp in s.execute(
            select(Package.name, ProjectPackage)
            .join(ProjectPackage, ProjectPackage.package_id == Package.id)
            .where(ProjectPackage.project_id == project_id)
        )
    }
    known = {
        n: i
        for n, i in s.execute(
            select(Package.name, Package.id).where(Package.name.in_(list(wanted)))
        )
    }
    for name, settings in wanted.items():
        pp = existing.get(name)
        if pp is None:
            pkg_id = known.get(name)
            if pkg_id is None:
                pkg = Package(name=name)
                s.add(pkg)
                s.flush()
                pkg_id = pkg.id
            s.add(ProjectPackage(project_id=project_id, package_id=pkg_id, settings=settings))
            changes.append(f"added package {name}")
        elif not pp.active or pp.settings != settings:
            changes.append(f"{'restored' if not pp.active else 'changed'} package {name}")
            pp.active = True
            pp.settings = settings
    for name, pp in existing.items():
        if name not in wanted and pp.active:
            pp.active = False
            changes.append(f"removed package {name} (its history is kept)")
    return changes


def _has_rpms(s: Session, project_id: int) -> bool:
    q = select(ProjectArtifact.id).where(ProjectArtifact.project_id == project_id).limit(1)
    return s.scalar(q) is not None


def _checked_comps(pf: ProjectFile, comps: Mapping[str, str]) -> dict[str, str]:
    named = {r.name for r in pf.repositories if r.groups}
    if set(comps) != named:
        missing = sorted(named - set(comps))
        raise ValidationFailed(
            f"repositories {', '.join(missing)} name a groups file whose content was not given"
            if missing
            else f"comps given for repositories without `groups`: {sorted(set(comps) - named)}"
        )
    for name, xml in comps.items():
        check_comps(xml, f"repository {name} groups")
    return dict(comps)


def _why(old: dict[str, Any] | None, new: dict[str, Any], active: bool) -> list[str]:
    if old is None:
        return ["new"]
    if not active:
        return ["restored"]
    return [k for k in CONTENT_KEYS if old.get(k) != new.get(k)]


def _apply_repositories(
    s: Session,
    project_id: int,
    pf: ProjectFile,
    comps: Mapping[str, str],
    arches_changed: bool,
) -> tuple[list[str], list[RepositoryChange]]:
    changes: list[str] = []
    republish: list[RepositoryChange] = []
    wanted: dict[str, dict[str, Any]] = {ALL_REPO: {"name": ALL_REPO, "all": True}}
    for r in pf.repositories:
        wanted[r.name] = r.model_dump(mode="json")
    existing = {
        r.name: r for r in s.scalars(select(Repository).where(Repository.project_id == project_id))
    }
    for name, spec in wanted.items():
        repo = existing.get(name)
        why = _why(repo.spec if repo else None, spec, repo.active if repo else True)
        if repo is None:
            repo = Repository(project_id=project_id, name=name, spec=spec)
            s.add(repo)
            if name != ALL_REPO:
                changes.append(f"added repository {name}")
        elif not repo.active or repo.spec != spec:
            changes.append(f"{'restored' if not repo.active else 'changed'} repository {name}")
            repo.active, repo.spec = True, spec
        if (repo.comps_xml or None) != comps.get(name):
            repo.comps_xml = comps.get(name)
            why.append("groups")
            if "new" not in why:
                changes.append(f"changed groups of repository {name}")
        if arches_changed and not why:
            why.append("arches")
        if why:
            republish.append(RepositoryChange(name, why))
    for name, repo in existing.items():
        if name not in wanted and repo.active:
            repo.active = False
            changes.append(f"removed repository {name} (its revisions are kept)")
    return changes, republish
