"""Every table, importable from one place (Alembic and services use this)."""

from olivine.db.models.artifacts import Artifact, ProjectArtifact
from olivine.db.models.auth import Role, Token, User
from olivine.db.models.builds import Build, BuildRoot
from olivine.db.models.imports import ImportDiff, ImportRevision
from olivine.db.models.jobs import JobStart
from olivine.db.models.modules import ModuleBuild, ModuleComponent, ModuleContext
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
from olivine.db.models.tlog import (
    InstanceKey,
    LogCheckpoint,
    LogLeaf,
    LogNode,
    LogState,
    Provenance,
    ProvenanceSubject,
)

__all__ = [
    "Artifact",
    "Batch",
    "BatchItem",
    "Build",
    "BuildRoot",
    "ImportDiff",
    "ImportRevision",
    "InstanceKey",
    "JobStart",
    "KeyEvent",
    "KeyRequest",
    "LogCheckpoint",
    "LogLeaf",
    "LogNode",
    "LogState",
    "ModuleBuild",
    "ModuleComponent",
    "ModuleContext",
    "Package",
    "PackageVersion",
    "Project",
    "ProjectArtifact",
    "ProjectPackage",
    "Provenance",
    "ProvenanceSubject",
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
