"""Lookups behind the repository URLs, with a short in-process cache (reads are hot and tiny).

Each lookup is one SELECT; the cache keeps answers for `ttl` seconds (0 disables it), so a publish
is visible to every API process within `ttl` seconds, and atomically: the head moves in one
transaction and a cached repomd.xml only names immutable files.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, TypeVar

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    Project,
    ProjectArtifact,
    Repository,
    RepositoryHead,
    RepositoryRevision,
)
from olivine.db.models.repos import RepositoryFile
from olivine.db.models.signing import RepomdSignature, SigningKey
from olivine.domain.repofilter import ALL_REPO, DEBUG_SUFFIX, SOURCE
from olivine.errors import NotFound
from olivine.repos import pairing

T = TypeVar("T")


@dataclass(frozen=True)
class ProjectRef:
    id: int
    name: str
    public: bool


@dataclass(frozen=True)
class Layout:
    """What a project serves: its repository names and the arch directories of each."""

    repositories: tuple[str, ...]
    arch_dirs: tuple[str, ...]

    def check(self, project: str, repo: str, arch: str | None = None) -> None:
        if repo not in self.repositories:
            have = ",".join(self.repositories)
            raise NotFound(f"project {project} has no repository {repo!r} (it has: {have})")
        if arch is not None and arch not in self.arch_dirs:
            have = ",".join(self.arch_dirs)
            raise NotFound(f"{project}/{repo} has no arch {arch!r} (it has: {have})")


@dataclass(frozen=True)
class Repomd:
    body: bytes
    etag: str
    last_modified: str
    timestamp: int
    revision_id: int = 0
    repository_id: int = 0
    switches: tuple[pairing.Switch, ...] = ()  # recent signed head moves (olivine.repos.pairing)


class TtlCache:
    def __init__(self, ttl: float, max_items: int = 20000) -> None:
        self.ttl, self.max_items = ttl, max_items
        self._data: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, load: Callable[[], T]) -> T:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if self.ttl > 0:
            if len(self._data) >= self.max_items:
                self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self._data.clear()


class RepoReader:
    """The read side of repositories, as the HTTP routes use it."""

    def __init__(self, db: Database, ttl: float = 1.0) -> None:
        self.db = db
        self.cache = TtlCache(ttl)
        self._ascs: dict[int, bytes] = {}  # revision id -> its repomd.xml.asc (immutable)

    def project(self, name: str) -> ProjectRef:
        return self.cache.get(("p", name), lambda: self._project(name))

    def _project(self, name: str) -> ProjectRef:
        with self.db.session() as s:
            row = s.execute(select(Project.id, Project.public).where(Project.name == name)).first()
        if row is None:
            raise NotFound(f"project {name!r} does not exist")
        return ProjectRef(row[0], name, bool(row[1]))

    def layout(self, project: ProjectRef) -> Layout:
        return self.cache.get(("l", project.id), lambda: self._layout(project))

    def _layout(self, project: ProjectRef) -> Layout:
        """The project file's repositories (plus `all`, and any still served after they left
        it) and arch directories (each arch, its -debug, `source`)."""
        with self.db.session() as s:
            spec = s.scalar(select(Project.spec).where(Project.id == project.id)) or {}
            rows = s.scalars(select(Repository.name).where(Repository.project_id == project.id))
            names = {ALL_REPO, *rows, *(r["name"] for r in spec.get("repositories") or [])}
        arches = list(spec.get("arches") or ["x86_64"])
        dirs = {SOURCE, *arches, *(a + DEBUG_SUFFIX for a in arches)}
        return Layout(tuple(sorted(names)), tuple(sorted(dirs)))

    def repomd(self, project: ProjectRef, repo: str, arch: str) -> Repomd:
        key = ("m", project.id, repo, arch)
        return self.cache.get(key, lambda: self._repomd(project, repo, arch))

    def _repomd(self, project: ProjectRef, repo: str, arch: str) -> Repomd:
        q = (
            select(
                RepositoryRevision.repomd_xml,
                RepositoryRevision.timestamp,
                RepositoryRevision.id,
                Repository.id,
            )
            .join(RepositoryHead, RepositoryHead.revision_id == RepositoryRevision.id)
            .join(Repository, Repository.id == RepositoryHead.repository_id)
            .where(
                Repository.project_id == project.id,
                Repository.name == repo,
                RepositoryHead.arch == arch,
            )
        )
        since = time.time() - pairing.window(self.cache.ttl)
        with self.db.session() as s:
            row = s.execute(q).first()  # the head first: a new head's switch is there already
            if row is None:
                raise NotFound(f"{project.name}/{repo}/{arch} has not been published")
            switches = pairing.recent_switches(s, int(row[3]), arch, since)
        body = row[0].encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        stamp = formatdate(row[1], usegmt=True)
        return Repomd(body, etag, stamp, int(row[1]), int(row[2]), int(row[3]), switches)

    def metadata_file(self, project: ProjectRef, repo: str, sha256: str) -> bool:
        key = ("f", project.id, repo, sha256)
        return self.cache.get(key, lambda: self._has_file(project, repo, sha256))

    def _has_file(self, project: ProjectRef, repo: str, sha256: str) -> bool:
        q = (
            select(RepositoryFile.id)
            .join(Repository, Repository.id == RepositoryFile.repository_id)
            .where(
                Repository.project_id == project.id,
                Repository.name == repo,
                RepositoryFile.sha256 == sha256,
            )
        )
        with self.db.session() as s:
            return s.execute(q).first() is not None

    def package_sha256(self, project: ProjectRef, filename: str) -> str | None:
        return self.cache.get(("r", project.id, filename), lambda: self._package(project, filename))

    def _package(self, project: ProjectRef, filename: str) -> str | None:
        q = (
            select(Artifact.sha256)
            .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
            .where(ProjectArtifact.project_id == project.id, Artifact.filename == filename)
        )
        with self.db.session() as s:
            return s.scalar(q)

    # ---- signatures ----
    # A client's repomd.xml.asc carries the signature of the revision whose repomd.xml it was
    # served, whichever API process served it (olivine.repos.pairing). Revisions are immutable,
    # so their signatures are cached for good.

    def note_served(self, client: str, arch: str, md: Repomd) -> None:
        if pairing.live(md.switches, time.time(), self.cache.ttl):
            pairing.note_served(self.db, client, md.repository_id, arch, md.revision_id)

    def repomd_asc(self, project: ProjectRef, repo: str, arch: str, client: str = "") -> bytes:
        md = self.repomd(project, repo, arch)
        rev_id = pairing.asc_revision(self.db, client, md.repository_id, arch, md.revision_id,
                                      md.switches, self.cache.ttl)  # fmt: skip
        asc = self._ascs.get(rev_id) or self._asc_of(rev_id)
        if asc is None:
            raise NotFound(f"{project.name}/{repo}/{arch}: the current repomd.xml is not signed")
        return asc

    def _asc_of(self, revision_id: int) -> bytes | None:
        with self.db.session() as s:
            asc = s.scalar(
                select(RepomdSignature.asc)
                .where(RepomdSignature.revision_id == revision_id)
                .order_by(RepomdSignature.id.desc())
            )
        if asc is None:
            return None
        if len(self._ascs) >= self.cache.max_items:
            self._ascs.clear()
        self._ascs[revision_id] = asc.encode()
        return self._ascs[revision_id]

    def gpg_keys(self, project: ProjectRef) -> bytes:
        return self.cache.get(("k", project.id), lambda: self._gpg_keys(project))

    def _gpg_keys(self, project: ProjectRef) -> bytes:
        """Every key that verifies this project's packages, the default first (rotation keeps
        old packages installable); revoked keys are left out."""
        with self.db.session() as s:
            keys = s.scalars(
                select(SigningKey.public_key)
                .where(SigningKey.project_id == project.id, SigningKey.state != "revoked")
                .order_by(SigningKey.is_default.desc(), SigningKey.id.desc())
            ).all()
        return "".join(keys).encode()
