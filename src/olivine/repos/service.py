"""The public surface of the repos component: what workflows, the API and the CLI call.

    ingest_rpm(db, store, path, project_id, origin, build_id, uploader_id, original_name, task_id)
        -> ArtifactInfo                      the one way RPMs enter Olivine
    publish_project(db, store, project_id, repos=None, changed=None, log=None, task_id=None)
        -> PublishResult                     new revisions of every repo/arch that changed
    set_repo_extras(db, project, repo, {"comps": xml, "modules": yaml, "updateinfo": xml})
    list_repos(db, project) -> [RepoInfo]
    list_revisions(db, project, repo, arch=None) -> [RevisionInfo]   newest first
    diff_revisions(db, project, repo, arch, a, b) -> RevisionDiff
    rollback(db, project, repo, to, arch=None) -> [arch]
    prune(db, repository_id, arch, keep) -> deleted count
    repo_file_text(base_url, project, repo, public=True) -> str
    write_repo_tree(db, store, project, repo, arch, dest, packages=False) -> Path
Serving: routes.router (context from app.state.repo_context), routes.RepoServingMiddleware,
http.RepoContext.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Repository
from olivine.errors import NotFound, ValidationFailed
from olivine.repos.artifacts import ArtifactInfo, ingest_rpm
from olivine.repos.export import write_repo_tree
from olivine.repos.publish import PublishResult, RevisionMade, publish_project
from olivine.repos.repofile import repo_file_text
from olivine.repos.revisions import (
    RepoInfo,
    RevisionDiff,
    RevisionInfo,
    diff_revisions,
    list_repos,
    list_revisions,
    prune,
    rollback,
)
from olivine.repos.state import project_by_name, sync_repositories

__all__ = [
    "ArtifactInfo",
    "PublishResult",
    "RepoInfo",
    "RevisionDiff",
    "RevisionInfo",
    "RevisionMade",
    "diff_revisions",
    "ingest_rpm",
    "list_repos",
    "list_revisions",
    "prune",
    "publish_project",
    "repo_file_text",
    "rollback",
    "set_repo_extras",
    "write_repo_tree",
]

_COLUMNS = {"comps": "comps_xml", "modules": "modules_yaml", "updateinfo": "updateinfo_xml"}


def set_repo_extras(
    db: Database, project: str, repo: str, extras: Mapping[str, str | None]
) -> None:
    """Store a repo's `comps` XML (`groups` in the project file), `modules` (modules.yaml) or
    `updateinfo` (updateinfo.xml); None removes one. The next publish carries them."""
    unknown = set(extras) - set(_COLUMNS)
    if unknown:
        raise ValidationFailed(
            f"unknown repo metadata {sorted(unknown)}; known: {sorted(_COLUMNS)}"
        )
    with db.session() as s:
        p = project_by_name(s, project)
    sync_repositories(db, p.id)
    with db.session() as s:
        q = select(Repository).where(Repository.project_id == p.id, Repository.name == repo)
        row = s.scalar(q)
        if row is None:
            raise NotFound(f"project {project} has no repository {repo!r}")
        for key, value in extras.items():
            setattr(row, _COLUMNS[key], value)
