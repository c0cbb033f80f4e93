"""Publishing: a new immutable revision of every repo/arch whose content changed.

A revision is made by swapping packages in and out at the level of chunks: the package set of a
repo/arch is cut into content-defined chunks, chunks already stored are reused as they are, and
only new chunks are rendered (from the XML rendered once per RPM at ingest) and compressed. The
head moves in one transaction, after every file it names is in the object store, so a reader
always sees either the old revision or the new one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database, utcnow
from olivine.db.models import RepositoryHead, RepositoryRevision
from olivine.db.models.repos import RepositoryFile
from olivine.domain.repofilter import PackageRecord
from olivine.domain.repofilter import select as select_packages
from olivine.repos.chunkstore import (
    ChunkRef,
    MetaFile,
    assemble,
    ensure_chunks,
    extra_file,
)
from olivine.repos.metadata import KINDS, Compression, chunk_digest, split_chunks
from olivine.repos.repomd import render_repomd
from olivine.repos.state import HeadState, RepoPlan, heads, load_records, sync_repositories
from olivine.storage.interfaces import ObjectStore

Log = Callable[[str], None]

EXTRA_NAMES = {"group": "comps.xml", "modules": "modules.yaml", "updateinfo": "updateinfo.xml"}


@dataclass(frozen=True)
class RevisionMade:
    repository: str
    arch: str
    number: int
    revision_id: int
    package_count: int
    added: int
    removed: int


@dataclass
class PublishResult:
    project_id: int
    revisions: list[RevisionMade] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # "<repo>/<arch>"
    seconds: float = 0.0


def _signature(comp: str, digests: Sequence[str], extras: dict[str, str]) -> str:
    h = hashlib.sha256(f"v1 {comp}\n".encode())
    for d in digests:
        h.update(d.encode())
    for k in sorted(extras):
        h.update(f"\n{k} {hashlib.sha256(extras[k].encode()).hexdigest()}".encode())
    return h.hexdigest()


def _extra_files(store: ObjectStore, extras: dict[str, str], comp: Compression) -> list[MetaFile]:
    out: list[MetaFile] = []
    for mdtype, text in sorted(extras.items()):
        name = EXTRA_NAMES[mdtype]
        if mdtype == "group":  # dnf reads either; createrepo_c writes both, plain and compressed
            out.append(extra_file(store, "group", name, text, None))
            out.append(
                extra_file(store, "group_gz" if comp == "gz" else "group_zst", name, text, comp)
            )
        else:
            out.append(extra_file(store, mdtype, name, text, comp))
    return out


class _Publisher:
    def __init__(self, db: Database, store: ObjectStore, log: Log, task_id: int | None) -> None:
        self.db, self.store, self.log, self.task_id = db, store, log, task_id
        self._files: dict[tuple[str, str, int, tuple[str, ...]], MetaFile] = {}

    def files_for(self, refs: Sequence[ChunkRef], count: int, comp: Compression) -> list[MetaFile]:
        out = []
        digests = tuple(r.digest for r in refs)
        for kind in KINDS:
            key = (kind, comp, count, digests)
            if key not in self._files:  # the same package set in two repos: assemble once
                self._files[key] = assemble(self.store, kind, refs, count, comp)
            out.append(self._files[key])
        return out

    def publish_arch(
        self, plan: RepoPlan, arch: str, recs: list[PackageRecord], head: HeadState | None
    ) -> RevisionMade | None:
        comp: Compression = "zstd" if plan.compress == "zstd" else "gz"
        chunks = split_chunks(recs)
        signature = _signature(comp, [chunk_digest(c) for c in chunks], plan.extras)
        if head is not None and head.signature == signature:
            return None
        refs = ensure_chunks(self.db, self.store, chunks, comp)
        files = self.files_for(refs, len(recs), comp) + _extra_files(self.store, plan.extras, comp)
        timestamp = max(int(time.time()), head.timestamp + 1 if head else 0)
        ids = {r.id for r in recs}
        old = head.artifact_ids if head else set()
        added, removed = sorted(ids - old), sorted(old - ids)
        changes: dict[str, object] = {"signature": signature, "added": added, "removed": removed}
        rev = self._commit(plan, arch, refs, files, timestamp, len(recs), changes)
        self.log(f"{plan.name}/{arch}: revision {rev.number}, {len(recs)} packages "
                 f"(+{len(added)} -{len(removed)})")  # fmt: skip
        return RevisionMade(
            plan.name, arch, rev.number, rev.id, len(recs), len(added), len(removed)
        )

    def _commit(
        self,
        plan: RepoPlan,
        arch: str,
        refs: Sequence[ChunkRef],
        files: Sequence[MetaFile],
        timestamp: int,
        count: int,
        changes: dict[str, object],
    ) -> RepositoryRevision:
        rid = plan.repository_id
        with self.db.session() as s:
            last = s.scalar(
                select(func.max(RepositoryRevision.number)).where(
                    RepositoryRevision.repository_id == rid, RepositoryRevision.arch == arch
                )
            )
            rev = RepositoryRevision(
                repository_id=rid,
                arch=arch,
                number=(last or 0) + 1,
                task_id=self.task_id,
                repomd_xml=render_repomd(files, timestamp),
                files=[f.__dict__ for f in files],
                changes=changes,
                package_count=count,
                chunks=[r.id for r in refs],
                timestamp=timestamp,
            )
            s.add(rev)
            s.flush()
            known = set(
                s.scalars(
                    select(RepositoryFile.sha256).where(
                        RepositoryFile.repository_id == rid,
                        RepositoryFile.sha256.in_([f.sha256 for f in files]),
                    )
                )
            )
            for f in files:
                if f.sha256 not in known:
                    known.add(f.sha256)
                    s.add(RepositoryFile(repository_id=rid, sha256=f.sha256, href=f.href))
            move_head(s, rid, arch, rev.id)
            return rev


def move_head(s: Session, repository_id: int, arch: str, revision_id: int) -> None:
    head = s.scalar(
        select(RepositoryHead).where(
            RepositoryHead.repository_id == repository_id, RepositoryHead.arch == arch
        )
    )
    if head is None:
        s.add(RepositoryHead(repository_id=repository_id, arch=arch, revision_id=revision_id))
    else:
        head.revision_id, head.updated_at = revision_id, utcnow()


def publish_project(
    db: Database,
    store: ObjectStore,
    project_id: int,
    repos: Sequence[str] | None = None,
    log: Log | None = None,
    task_id: int | None = None,
) -> PublishResult:
    """Make a new revision of every repo/arch of the project (or of `repos`) that changed."""
    from olivine.repos.revisions import prune

    started = time.perf_counter()
    log = log or (lambda _m: None)
    arches, plans = sync_repositories(db, project_id)
    recs = load_records(db, project_id)
    result = PublishResult(project_id)
    pub = _Publisher(db, store, log, task_id)
    for plan in plans:
        if repos is not None and plan.name not in repos:
            continue
        current = heads(db, plan.repository_id)
        for arch, pkgs in select_packages(plan.filter, arches, recs).items():
            made = pub.publish_arch(plan, arch, pkgs, current.get(arch))
            if made is None:
                result.unchanged.append(f"{plan.name}/{arch}")
                continue
            result.revisions.append(made)
            if plan.retention:
                prune(db, plan.repository_id, arch, plan.retention)
    result.seconds = time.perf_counter() - started
    return result
