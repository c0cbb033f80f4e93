"""Import revisions as the pages list them."""

from __future__ import annotations

from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import ImportRevision


def latest_imports(
    db: Database, project_id: int, package_ids: list[int]
) -> dict[int, ImportRevision]:
    """Per package: its newest import revision in the project."""
    if not package_ids:
        return {}
    with db.session() as s:
        newest = (
            select(func.max(ImportRevision.id))
            .where(
                ImportRevision.project_id == project_id, ImportRevision.package_id.in_(package_ids)
            )
            .group_by(ImportRevision.package_id)
        )
        rows = list(s.scalars(select(ImportRevision).where(ImportRevision.id.in_(newest))))
        s.expunge_all()
        return {r.package_id: r for r in rows}


def package_imports(
    db: Database, project_id: int, package_id: int, limit: int = 50
) -> list[ImportRevision]:
    with db.session() as s:
        rows = list(
            s.scalars(
                select(ImportRevision)
                .where(
                    ImportRevision.project_id == project_id, ImportRevision.package_id == package_id
                )
                .order_by(ImportRevision.id.desc())
                .limit(limit)
            )
        )
        s.expunge_all()
        return rows
