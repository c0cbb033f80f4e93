"""A project's catalog and versions as the pages list them."""

from __future__ import annotations

from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import Package, PackageVersion, ProjectPackage


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
