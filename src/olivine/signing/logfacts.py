"""What the signer enters in the transparency log after it signs: each signed repomd.xml
revision and each new RPM signature, read from the database rows the signing just wrote (never
from what a workflow claims)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Project, Repository, RepositoryRevision, RpmSignature
from olivine.signing.leaves import Leaf, RepomdLeaf, SignedRpmLeaf
from olivine.signing.rpmheader import header_sha256
from olivine.storage.interfaces import ObjectStore

LogFn = Callable[[Leaf], object]


def repomd_leaves(db: Database, project: str, revisions: Iterable[tuple[int, str]]) -> list[Leaf]:
    """One leaf per (revision id, repomd sha256) the signer just signed."""
    out: list[Leaf] = []
    with db.session() as s:
        for rev_id, sha in revisions:
            rev = s.get(RepositoryRevision, rev_id)
            repo = s.get(Repository, rev.repository_id) if rev is not None else None
            if rev is None or repo is None:
                continue
            out.append(RepomdLeaf(project, repo.name, rev.arch, rev.number, sha))
    return out


def signed_rpm_leaves(db: Database, store: ObjectStore, signature_ids: Iterable[int]) -> list[Leaf]:
    """One leaf per RPM signature row, with the header digest signing leaves unchanged."""
    ids = list(signature_ids)
    if not ids:
        return []
    with db.session() as s:
        rows = s.execute(
            select(RpmSignature, Project.name)
            .join(Project, Project.id == RpmSignature.project_id)
            .where(RpmSignature.id.in_(ids))
        ).all()
        facts = [(r.unsigned_sha256, r.signed_sha256, r.fingerprint, name) for r, name in rows]
    return [
        SignedRpmLeaf(name, unsigned, signed, fpr, header_sha256(store.open(signed)))
        for unsigned, signed, fpr, name in facts
    ]


def enter(log: LogFn | None, leaves: Iterable[Leaf]) -> None:
    if log is None:
        return
    for leaf in leaves:
        log(leaf)  # the sequencer dedupes a fact entered twice
