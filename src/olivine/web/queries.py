"""What the pages show, put together from the components' query functions (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass

from olivine.auth.queries import user_names
from olivine.builds.queries import BuildLine, latest_builds, nevr, package_builds, settled
from olivine.db.base import Database
from olivine.db.models import ImportRevision, PackageVersion
from olivine.imports.queries import latest_imports, package_imports
from olivine.projects.queries import (
    Publication,
    catalog_page,
    package_publications,
    package_versions,
)
from olivine.repos.queries import RevisionChanges, repo_members, repository, revision_changes
from olivine.tasks.queries import task_kinds

__all__ = ["BuildLine", "RevisionChanges", "nevr", "repository", "revision_changes", "task_kinds"]


@dataclass(frozen=True)
class PackageLine:
    name: str
    active: bool
    latest_import: ImportRevision | None
    latest_build: BuildLine | None
    repos: list[str]


def package_lines(
    db: Database, project_id: int, offset: int, limit: int, name_like: str | None
) -> tuple[int, list[PackageLine]]:
    total, rows = catalog_page(db, project_id, offset, limit, name_like)
    ids = [r[0] for r in rows]
    imports = latest_imports(db, project_id, ids)
    latest = latest_builds(db, project_id, ids)
    shown = {ln.id: ln for ln in settled(db, list(latest.values()))}
    builds = {pkg: shown[ln.id] for pkg, ln in latest.items()}
    members = repo_members(db, project_id)
    out = []
    for pkg_id, name, active in rows:
        # the reserved `all` repository carries every package of the project
        repos = ["all"] + [r for r, only in members.items() if only is None or name in only]
        out.append(PackageLine(name, active, imports.get(pkg_id), builds.get(pkg_id), repos))
    return total, out


@dataclass(frozen=True)
class PackageHistory:
    imports: list[ImportRevision]
    builds: list[BuildLine]
    versions: list[PackageVersion]
    submitters: dict[int, str]
    published: dict[str, list[Publication]]  # NEVR -> the repository heads carrying it


def package_history(
    db: Database, project_id: int, package_id: int, package: str, limit: int = 50
) -> PackageHistory:
    imports = package_imports(db, project_id, package_id, limit)
    builds = settled(db, package_builds(db, project_id, package_id, limit))
    versions = package_versions(db, project_id, package_id)
    users = user_names(db, [i.submitter_id for i in imports] + [b.submitter_id for b in builds])
    published = package_publications(db, project_id, package)
    return PackageHistory(imports, builds, versions, users, published)
