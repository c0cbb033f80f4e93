"""A finished build's SRPM and RPMs with download links: what the API lists and the build page
offers (for a scratch build, the only place they are published)."""

from __future__ import annotations

from dataclasses import dataclass

from olivine.builds import records
from olivine.db.base import Database
from olivine.storage.interfaces import ObjectStore
from olivine.tasks.service import TaskService


@dataclass(frozen=True)
class BuildFile:
    name: str
    sha256: str
    url: str


def build_files(db: Database, store: ObjectStore, build_id: int) -> list[BuildFile]:
    """The files the build's task recorded, each with the object store's (signed) link."""
    b = records.get_build(db, build_id)
    result = TaskService(db).get(b.task_id).result if b.task_id else None
    return [
        BuildFile(f["name"], f["sha256"], store.url_for(f["sha256"], f["name"]))
        for f in (result or {}).get("rpms", [])
    ]
