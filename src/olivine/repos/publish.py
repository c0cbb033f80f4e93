"""Publishing: a new immutable revision of every repo/arch whose content changed.

Two ways to the new package set of a repo/arch, with the same result:
- full: select from every package of the project, cut into chunks (first publish, a changed
  filter, or no hint of what changed);
- incremental: given the artifacts that entered or left the project, select again only among the
  packages of their source packages and splice that into the current revision (splice.py).
Chunks already stored are reused; new ones are rendered from the XML made once per RPM at
ingest. The head moves in one transaction after every file it names is stored, so a reader sees
either the old revision or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database, utcnow
from olivine.db.models import RepositoryHead, RepositoryRevision
from olivine.db.models.repos import RepositoryFile
from olivine.domain.repofilter import PackageRecord
from olivine.errors import Conflict
from olivine.modules.published import modular_view
from olivine.repos.chunkstore import (
    ChunkEntry,
    MetaFile,
    assemble,
    ensure_chunks,
    extra_file,
    with_blobs,
)
from olivine.repos.metadata import KINDS, Compression, split_chunks
from olivine.repos.repomd import render_repomd
from olivine.repos.splice import splice
from olivine.repos.state import (
    HeadState,
    RepoPlan,
    chunk_members,
    heads,
    load_records,
    records_by_ids,
    records_of_sources,
    sync_repositories,
)
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
    repomd_sha256: str = ""  # of the bytes on the revision row (what the signer signs)


@dataclass
class PublishResult:
    project_id: int
    revisions: list[RevisionMade] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # "<repo>/<arch>"
    seconds: float = 0.0


@dataclass(frozen=True)
class NewContent:
    entries: list[ChunkEntry]
    added: list[int]
    removed: list[int]


def _comp(plan: RepoPlan) -> Compression:
    return "zstd" if plan.compress == "zstd" else "gz"


def _spec_hash(plan: RepoPlan, arches: Sequence[str]) -> str:
    extras = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in plan.extras.items()}
    body = {
        "filter": {k: v for k, v in plan.spec.items() if k != "retention"},
        "comp": _comp(plan),
        "extras": extras,
        "arches": list(arches),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _signature(plan: RepoPlan, entries: Sequence[ChunkEntry]) -> str:
    """Of the content only (a filter change that selects the same packages changes nothing)."""
    extras = sorted((k, hashlib.sha256(v.encode()).hexdigest()) for k, v in plan.extras.items())
    h = hashlib.sha256(f"{_comp(plan)} {extras}".encode())
    for e in entries:
        h.update(e.digest.encode())
    return h.hexdigest()


def _extra_files(store: ObjectStore, extras: dict[str, str], comp: Compression) -> list[MetaFile]:
    out: list[MetaFile] = []
    for mdtype, text in sorted(extras.items()):
        name = EXTRA_NAMES[mdtype]
        if mdtype == "group":  # dnf reads either; createrepo_c writes both, plain and compressed
            out.append(extra_file(store, "group", name, text, None))
            packed = "group_gz" if comp == "gz" else "group_zst"
            out.append(extra_file(store, packed, name, text, comp))
        else:
            out.append(extra_file(store, mdtype, name, text, comp))
    return out


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


def activate(db: Database, revision_ids: Sequence[int]) -> None:
    """Move the heads to revisions made with `hold_heads` (once their repomd.xml is signed),
    all in one transaction."""
    with db.session() as s:
        move_heads(s, revision_ids)


def move_heads(s: Session, revision_ids: Sequence[int]) -> None:
    """Move the heads to these revisions, in the caller's transaction."""
    revs = s.execute(
        select(RepositoryRevision.id, RepositoryRevision.repository_id, RepositoryRevision.arch)
        .where(RepositoryRevision.id.in_(list(revision_ids)))
    ).all()  # fmt: skip
    for rev_id, repo_id, arch in revs:
        move_head(s, repo_id, arch, rev_id)


class _Publisher:
    def __init__(self, db: Database, store: ObjectStore, log: Log, task_id: int | None,
                 hold_heads: bool = False) -> None:  # fmt: skip
        self.db, self.store, self.log, self.task_id = db, store, log, task_id
        self.hold_heads = hold_heads  # the signer signs repomd.xml first, then `activate`
        self._files: dict[tuple[str, str, int, tuple[str, ...]], MetaFile] = {}

    def full(
        self, recs: list[PackageRecord], head: HeadState | None, comp: Compression
    ) -> NewContent:
        entries = ensure_chunks(self.db, self.store, split_chunks(recs), comp)
        old = set(chunk_members(self.db, [e.id for e in head.entries])) if head else set()
        new = {r.id for r in recs}
        return NewContent(entries, sorted(new - old), sorted(old - new))

    def files_for(self, entries: Sequence[ChunkEntry], comp: Compression) -> list[MetaFile]:
        count = sum(e.count for e in entries)
        digests = tuple(e.digest for e in entries)
        todo = [k for k in KINDS if (k, comp, count, digests) not in self._files]
        if todo:
            entries = with_blobs(self.db, entries, comp)
        # the same package set in two repos is assembled once; the three files in parallel
        # (reading, hashing and compressing release the GIL), on no more threads than cores:
        # on two, primary (the largest) on one and the other two after each other finish
        # sooner than three threads sharing them
        with ThreadPoolExecutor(max(1, min(len(todo), os.cpu_count() or 1))) as pool:
            made = pool.map(lambda k: assemble(self.store, k, entries, count, comp), todo)
            for kind, f in zip(todo, made, strict=True):
                self._files[(kind, comp, count, digests)] = f
        return [self._files[(k, comp, count, digests)] for k in KINDS]

    def commit(
        self, plan: RepoPlan, arch: str, spec: str, content: NewContent, head: HeadState | None
    ) -> RevisionMade | None:
        comp = _comp(plan)
        signature = _signature(plan, content.entries)
        if head is not None and head.signature == signature:
            return None
        files = self.files_for(content.entries, comp) + _extra_files(self.store, plan.extras, comp)
        timestamp = max(int(time.time()), head.timestamp + 1 if head else 0)
        count = sum(e.count for e in content.entries)
        changes: dict[str, object] = {
            "signature": signature,
            "spec": spec,
            "added": content.added,
            "removed": content.removed,
        }
        try:
            with self.db.session() as s:
                rev = self._insert(
                    s, plan.repository_id, arch, files, timestamp, count, changes, content
                )
                number, rev_id = rev.number, rev.id
                repomd_sha = hashlib.sha256(rev.repomd_xml.encode()).hexdigest()
        except IntegrityError:
            raise Conflict(
                f"{plan.name}/{arch}: another publish made a revision at the same moment "
                "(one publisher per project runs them in turn); publish again"
            ) from None
        self.log(
            f"{plan.name}/{arch}: revision {number}, {count} packages "
            f"(+{len(content.added)} -{len(content.removed)})"
        )
        return RevisionMade(plan.name, arch, number, rev_id, count, len(content.added),
                            len(content.removed), repomd_sha)  # fmt: skip

    def _insert(
        self,
        s: Session,
        rid: int,
        arch: str,
        files: Sequence[MetaFile],
        timestamp: int,
        count: int,
        changes: dict[str, object],
        content: NewContent,
    ) -> RepositoryRevision:
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
            chunks=[e.to_json() for e in content.entries],
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
        if not self.hold_heads:
            move_head(s, rid, arch, rev.id)
        return rev


@dataclass
class _Changed:
    """What the incremental path needs: the source packages touched and their packages now."""

    names: set[str]
    records: list[PackageRecord]


def _changed(db: Database, project_id: int, artifact_ids: Sequence[int]) -> _Changed:
    touched = records_by_ids(db, list(artifact_ids))
    sources = {r.source_name for r in touched}
    records = records_of_sources(db, project_id, sources)
    return _Changed({r.name for r in touched} | {r.name for r in records}, records)


def publish_project(
    db: Database,
    store: ObjectStore,
    project_id: int,
    repos: Sequence[str] | None = None,
    changed: Sequence[int] | None = None,
    log: Log | None = None,
    task_id: int | None = None,
    hold_heads: bool = False,
) -> PublishResult:
    """Make a new revision of every repo/arch of the project (or of `repos`) that changed.

    `changed`: ids of artifacts that entered or left the project since the last publish; with
    it, repos whose filters did not change are updated by splicing (no full re-selection).
    `hold_heads`: make the revisions but serve none of them until `activate` (signed repos).
    """
    from olivine.repos.revisions import prune

    started = time.perf_counter()
    log = log or (lambda _m: None)
    arches, plans = sync_repositories(db, project_id)
    hint = _changed(db, project_id, changed) if changed is not None else None
    everything: list[PackageRecord] | None = None
    result = PublishResult(project_id)
    pub = _Publisher(db, store, log, task_id, hold_heads)
    modular = modular_view(db, project_id)  # module packages go only beside their modulemd
    for plan in plans:
        if repos is not None and plan.name not in repos:
            continue
        current = heads(db, plan.repository_id)
        spec = _spec_hash(plan, arches)
        incremental = hint is not None and all(
            a in current and current[a].spec == spec for a in _repo_arches(arches)
        )
        if incremental:
            assert hint is not None
            selected = modular.select(plan.spec, plan.filter, arches, hint.records)
        else:
            everything = everything if everything is not None else load_records(db, project_id)
            selected = modular.select(plan.spec, plan.filter, arches, everything)
        for arch, pkgs in selected.items():
            head = current.get(arch)
            if incremental and head is not None and hint is not None:
                sp = splice(db, store, head.entries, hint.names, pkgs, _comp(plan))
                content = NewContent(sp.entries, sp.added, sp.removed)
            else:
                content = pub.full(pkgs, head, _comp(plan))
            made = pub.commit(modular.plan_for(plan, arch), arch, spec, content, head)
            if made is None:
                result.unchanged.append(f"{plan.name}/{arch}")
                continue
            result.revisions.append(made)
            if plan.retention:
                prune(db, plan.repository_id, arch, plan.retention)
    result.seconds = time.perf_counter() - started
    return result


def _repo_arches(arches: Sequence[str]) -> list[str]:
    from olivine.domain.repofilter import repo_arches

    return repo_arches(arches)
