"""Repositories and revisions as the pages show them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Artifact, Repository
from olivine.errors import NotFound
from olivine.repos.revisions import _revision


def repo_members(db: Database, project_id: int) -> dict[str, list[str] | None]:
    """Repository name -> the source packages it is limited to (None: every package)."""
    with db.session() as s:
        rows = s.scalars(
            select(Repository)
            .where(Repository.project_id == project_id, Repository.active.is_(True))
            .order_by(Repository.name)
        )
        return {r.name: r.spec.get("packages") for r in rows if r.name != "all"}


def repository(db: Database, project_id: int, name: str) -> Repository | None:
    with db.session() as s:
        r = s.scalar(
            select(Repository).where(Repository.project_id == project_id, Repository.name == name)
        )
        if r is not None:
            s.expunge(r)
        return r


@dataclass(frozen=True)
class RevisionChanges:
    arch: str
    number: int
    added: list[str]
    removed: list[str]


def revision_changes(
    db: Database, repository_id: int, arch: str, number: int
) -> RevisionChanges | None:
    """What one revision changed from the one before it (its recorded added/removed RPMs)."""
    with db.session() as s:
        try:
            rev = _revision(s, repository_id, arch, number)
        except NotFound:
            return None
        added = [int(i) for i in rev.changes.get("added", [])]
        removed = [int(i) for i in rev.changes.get("removed", [])]
        q_names = select(Artifact.id, Artifact.filename).where(Artifact.id.in_(added + removed))
        names = {i: f for i, f in s.execute(q_names)}
        return RevisionChanges(
            arch,
            number,
            sorted(names.get(i, f"artifact {i}") for i in added),
            sorted(names.get(i, f"artifact {i}") for i in removed),
        )
