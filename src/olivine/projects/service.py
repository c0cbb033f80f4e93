"""Apply a project file (idempotent) and read projects and their catalogs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database, utcnow
from olivine.db.models import ImportRevision, Package, Project, ProjectPackage, Repository
from olivine.errors import NotFound
from olivine.projects.schema import ProjectFile

ALL_REPO = "all"


@dataclass
class ApplyResult:
    project: str
    project_id: int
    created: bool
    changes: list[str] = field(default_factory=list)
    changed_repositories: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.changes


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

    def apply(self, pf: ProjectFile, actor_id: int | None) -> ApplyResult:
        spec = pf.normalised()
        digest = spec_digest(spec)
        with self.db.session() as s:
            project = s.scalar(select(Project).where(Project.name == pf.name))
            created = project is None
            changes: list[str] = []
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
            repo_changes, changed_repos = _apply_repositories(s, project.id, pf)
            changes += repo_changes
            return ApplyResult(pf.name, project.id, created, changes, changed_repos)

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
        return ProjectFile.model_validate(self.get(name).spec)

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
    wanted = {
        p.name: p.model_dump(mode="json", by_alias=True, exclude={"name"}) for p in pf.packages
    }
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


def _apply_repositories(
    s: Session, project_id: int, pf: ProjectFile
) -> tuple[list[str], list[str]]:
    changes: list[str] = []
    changed: list[str] = []
    wanted: dict[str, dict[str, Any]] = {ALL_REPO: {"name": ALL_REPO, "all": True}}
    for r in pf.repositories:
        wanted[r.name] = r.model_dump(mode="json")
    existing = {
        r.name: r for r in s.scalars(select(Repository).where(Repository.project_id == project_id))
    }
    for name, spec in wanted.items():
        repo = existing.get(name)
        if repo is None:
            s.add(Repository(project_id=project_id, name=name, spec=spec))
            if name != ALL_REPO:
                changes.append(f"added repository {name}")
            changed.append(name)
        elif not repo.active or repo.spec != spec:
            changes.append(f"{'restored' if not repo.active else 'changed'} repository {name}")
            repo.active, repo.spec = True, spec
            changed.append(name)
    for name, repo in existing.items():
        if name not in wanted and repo.active:
            repo.active = False
            changes.append(f"removed repository {name} (its revisions are kept)")
    return changes, changed
