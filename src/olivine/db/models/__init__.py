"""Every table, importable from one place (Alembic and services use this)."""

from olivine.db.models.artifacts import Artifact, ProjectArtifact
from olivine.db.models.auth import Role, Token, User
from olivine.db.models.builds import Build, BuildRoot
from olivine.db.models.imports import ImportRevision
from olivine.db.models.projects import Package, PackageVersion, Project, ProjectPackage
from olivine.db.models.repos import Repository, RepositoryHead, RepositoryRevision
from olivine.db.models.tasks import Batch, BatchItem, Task, TaskLog

__all__ = [
    "Artifact",
    "Batch",
    "BatchItem",
    "Build",
    "BuildRoot",
    "ImportRevision",
    "Package",
    "PackageVersion",
    "Project",
    "ProjectArtifact",
    "ProjectPackage",
    "Repository",
    "RepositoryHead",
    "RepositoryRevision",
    "Role",
    "Task",
    "TaskLog",
    "Token",
    "User",
]
