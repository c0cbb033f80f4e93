"""Every table, importable from one place (Alembic and services use this)."""

from olivine.db.models.artifacts import Artifact, ProjectArtifact
from olivine.db.models.auth import Role, Token, User
from olivine.db.models.builds import Build, BuildRoot
from olivine.db.models.imports import ImportRevision
from olivine.db.models.projects import Package, PackageVersion, Project, ProjectPackage
from olivine.db.models.repos import Repository, RepositoryHead, RepositoryRevision
from olivine.db.models.signing import (
    KeyEvent,
    KeyRequest,
    RepomdSignature,
    RpmSignature,
    SignerInbox,
    SigningKey,
)
from olivine.db.models.tasks import Batch, BatchItem, Task, TaskLog

__all__ = [
    "Artifact",
    "Batch",
    "BatchItem",
    "Build",
    "BuildRoot",
    "ImportRevision",
    "KeyEvent",
    "KeyRequest",
    "Package",
    "PackageVersion",
    "Project",
    "ProjectArtifact",
    "ProjectPackage",
    "RepomdSignature",
    "Repository",
    "RepositoryHead",
    "RepositoryRevision",
    "Role",
    "RpmSignature",
    "SignerInbox",
    "SigningKey",
    "Task",
    "TaskLog",
    "Token",
    "User",
]


def _never_reuse_ids() -> None:
    # Workflow IDs are made from row IDs (build-<id>); SQLite would reuse the ID of a deleted
    # last row, which would make Temporal treat a new job as a repeat of an old one.
    from olivine.db.base import Base

    for table in Base.metadata.tables.values():
        table.dialect_kwargs["sqlite_autoincrement"] = True


_never_reuse_ids()
