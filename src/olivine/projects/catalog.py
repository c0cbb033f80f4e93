"""A project's catalog, typed: the packages it builds and their per-package settings, read from
the `project_packages` rows the apply wrote (not from the stored project file), and the project
file itself, read back as the model it was validated into at apply.

    catalog(db, project) -> Catalog        the active packages, by name
    project_file(project) -> ProjectFile   the project file as applied
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Package, Project, ProjectPackage
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.schema import PackageEntry, ProjectFile, UpstreamOverride


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    upstream: UpstreamOverride | None  # the keys that replace the project's upstream
    with_: tuple[str, ...] = ()  # rpmbuild --with X
    without: tuple[str, ...] = ()  # rpmbuild --without X
    arches: tuple[str, ...] | None = None  # None: every arch of the project

    @classmethod
    def from_row(cls, name: str, settings: dict[str, Any]) -> CatalogEntry:
        """From `project_packages.settings`, which the apply wrote from a validated entry."""
        up = settings.get("upstream")
        arches = settings.get("arches")
        return cls(
            name=name,
            upstream=UpstreamOverride(**up) if up else None,
            with_=tuple(settings.get("with") or ()),
            without=tuple(settings.get("without") or ()),
            arches=tuple(arches) if arches is not None else None,
        )

    @staticmethod
    def settings_of(entry: PackageEntry) -> dict[str, Any]:
        """What the apply stores for an entry (the inverse of from_row)."""
        return entry.model_dump(mode="json", by_alias=True, exclude={"name"})


@dataclass(frozen=True)
class Catalog:
    project: str
    entries: tuple[CatalogEntry, ...]  # by name

    def __contains__(self, name: object) -> bool:
        return any(e.name == name for e in self.entries)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def get(self, name: str) -> CatalogEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise NotFound(f"package {name} is not in the catalog of project {self.project}")

    def require(self, names: Iterable[str]) -> None:
        """Refuse names that are not (or no longer) in the catalog, naming every one."""
        unknown = sorted(set(names) - set(self.names))
        if unknown:
            raise NotFound(f"not in the catalog of project {self.project}: {', '.join(unknown)}")


def catalog(db: Database, project: Project | str) -> Catalog:
    """The active packages of a project (a removed package keeps its history, not its place)."""
    with db.session() as s:
        if isinstance(project, str):
            row = s.scalar(select(Project).where(Project.name == project))
            if row is None:
                raise NotFound(f"project {project} does not exist")
            project = row
        rows = s.execute(
            select(Package.name, ProjectPackage.settings)
            .join(ProjectPackage, ProjectPackage.package_id == Package.id)
            .where(ProjectPackage.project_id == project.id, ProjectPackage.active.is_(True))
            .order_by(Package.name)
        ).all()
        name = project.name
    return Catalog(name, tuple(CatalogEntry.from_row(n, st or {}) for n, st in rows))


def project_file(project: Project) -> ProjectFile:
    """The project file as applied. The stored spec is the dump of the model validated at apply,
    so this only reads it back; a spec an older Olivine stored that today's schema refuses is
    a clear error (apply the file again), not a crash in whatever reads it."""
    try:
        return ProjectFile.model_validate(project.spec)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ValidationFailed(
            f"the stored project file of {project.name} no longer validates ({problems}); "
            "apply it again"
        ) from None
