"""Checks every submit() shares."""

from __future__ import annotations

from collections.abc import Iterable

from olivine.db.base import Database
from olivine.db.models import Project
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.catalog import catalog


def catalog_names(db: Database, project: Project) -> list[str]:
    """The packages of a project's catalog, in project-file order (its project_packages rows)."""
    return catalog(db, project).names


def check_catalog(db: Database, project: Project, names: Iterable[str]) -> list[str]:
    """`names` without repeats, or NotFound naming every one outside the catalog."""
    wanted = list(dict.fromkeys(names))
    unknown = sorted(set(wanted) - set(catalog_names(db, project)))
    if len(unknown) == 1 and len(wanted) == 1:
        raise NotFound(f"package {unknown[0]} is not in the catalog of project {project.name}")
    if unknown:
        raise NotFound(f"not in the catalog of project {project.name}: {', '.join(unknown)}")
    return wanted


def batch_names(
    db: Database, project: Project, packages: list[str], all_: bool, verb: str
) -> list[str]:
    """The packages a batch asks for (or the whole catalog), checked against the catalog."""
    names = catalog_names(db, project) if all_ else packages
    if not names:
        raise ValidationFailed(f"name packages to {verb}, or ask for all of them")
    return check_catalog(db, project, names)
