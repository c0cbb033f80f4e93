"""Detached signatures of repomd.xml, made by the signer for revisions the database records.

The publisher makes a project's new revisions without serving them (`hold_heads`), asks the
signer for their `repomd.xml.asc`, then moves the heads (repos.publish.activate). The signer is
given revision ids and the sha256 of the bytes the publisher rendered: it signs the bytes stored
on the revision row, only if the revision belongs to that project and the hash matches.

Serving (repos.serving, repos.pairing) answers `repomd.xml.asc` with the signature of the very
revision whose repomd.xml that client was served, by whichever API process (dnf reads the two
files in two requests, and the head may move between them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olivine.db.base import Database
from olivine.db.models import Repository, RepositoryRevision
from olivine.db.models.signing import RepomdSignature, SigningKey
from olivine.errors import Forbidden, IntegrityFailure, NotFound
from olivine.signing.detached import once_each, sign_blobs
from olivine.signing.keystore import KeyStore


@dataclass(frozen=True)
class RevisionToSign:
    revision_id: int
    repomd_sha256: str


@dataclass(frozen=True)
class _Rev:
    id: int
    repository_id: int
    arch: str
    body: bytes


def repomd_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _load(db: Database, project_id: int, want: list[RevisionToSign]) -> list[_Rev]:
    """The revisions' repomd.xml bytes as recorded (one query for all), each checked to be
    this project's and to hash to what the publisher said."""
    cols = (
        RepositoryRevision.id,
        RepositoryRevision.repository_id,
        RepositoryRevision.arch,
        RepositoryRevision.repomd_xml,
        Repository.project_id,
    )
    with db.session() as s:
        rows = {
            r[0]: r
            for r in s.execute(
                select(*cols)
                .join(Repository, Repository.id == RepositoryRevision.repository_id)
                .where(RepositoryRevision.id.in_([w.revision_id for w in want]))
            )
        }
    out: list[_Rev] = []
    for w in want:
        row = rows.get(w.revision_id)
        if row is None:
            raise NotFound(f"repository revision {w.revision_id} does not exist")
        rev_id, repo_id, arch, xml, owner = row
        if owner != project_id:
            raise Forbidden(f"revision {w.revision_id} is not one of this project's")
        body = xml.encode()
        if hashlib.sha256(body).hexdigest() != w.repomd_sha256:
            raise IntegrityFailure(
                f"revision {w.revision_id}: the repomd.xml to sign is not the one recorded"
            )
        out.append(_Rev(rev_id, repo_id, arch, body))
    return out


def sign_revisions(
    db: Database,
    keys: KeyStore,
    project: str,
    want: list[RevisionToSign],
    runtime_dir: Path | None = None,
) -> int:
    """Sign the repomd.xml of each revision with the project's default key; returns how many
    signatures were made (a revision already signed with that key is left as it is)."""
    key = keys.signing_key(project, None)
    revs = _load(db, key.project_id, want)
    with db.session() as s:
        done = set(
            s.scalars(
                select(RepomdSignature.revision_id).where(
                    RepomdSignature.fingerprint == key.fingerprint,
                    RepomdSignature.revision_id.in_([r.id for r in revs]),
                )
            )
        )
    todo = [r for r in revs if r.id not in done]
    if not todo:
        return 0
    blobs = [r.body for r in todo]
    rsa = keys.openssl_signer(project, key)
    if rsa is not None:
        ascs = once_each(blobs, lambda unique: [rsa.sign_armored(b) for b in unique])
    else:
        secret = keys.secret(project, key.fingerprint)
        ascs = sign_blobs(key.fingerprint, secret, blobs, runtime_dir)
    rows = [_row(key, r, asc) for r, asc in zip(todo, ascs, strict=True)]
    try:  # one transaction for all; when another signer raced us, row by row
        with db.session() as s:
            s.add_all(rows)
        return len(rows)
    except IntegrityError:
        pass
    made = 0
    for r, asc in zip(todo, ascs, strict=True):
        try:
            with db.session() as s:
                s.add(_row(key, r, asc))
            made += 1
        except IntegrityError:  # signed concurrently: one signature per revision and key
            pass
    return made


def _row(key: SigningKey, r: _Rev, asc: str) -> RepomdSignature:
    return RepomdSignature(
        revision_id=r.id,
        repository_id=r.repository_id,
        arch=r.arch,
        key_id=key.id,
        fingerprint=key.fingerprint,
        repomd_sha256=hashlib.sha256(r.body).hexdigest(),
        asc=asc,
    )
