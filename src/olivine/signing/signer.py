"""The signer: signs a project's RPMs with its key, in the signing worker only.

It trusts nothing in the request but ids: the bytes come from the object store by sha256, and only
what the database records as a non-scratch build output of that project is signed (imported RPMs
only when asked: they keep their own signature otherwise). Anyone who can reach Temporal can
enqueue a request; this is where it is checked.

It always signs the *unsigned* original (a re-sign with a new key starts from it again), and
records (unsigned sha256, fingerprint) -> signed sha256 under a unique constraint: the same RPM
signed twice, by one worker or two at once, yields one signature row and one signed file.
The signed file's header is not parsed here (it is attacker-shaped): its metadata is rendered by
the repo worker (signing.adopt).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Artifact, Build, ProjectArtifact
from olivine.db.models.signing import RpmSignature, SigningKey
from olivine.errors import Forbidden
from olivine.signing.keystore import KeyStore
from olivine.signing.rpmsign import MIN_BATCH, SignJob, sign_rpms
from olivine.storage.interfaces import ObjectStore, file_sha256

Log = Callable[[str], None]
WARM_MAX = MIN_BATCH  # RPMs a job signs in the sandbox made ahead: those of one rpmsign run


@dataclass(frozen=True)
class Signed:
    signature_id: int
    unsigned_sha256: str
    signed_sha256: str
    fingerprint: str
    new: bool  # false: this RPM was signed with this key before


@dataclass(frozen=True)
class _Todo:
    artifact_id: int
    sha256: str
    filename: str


def original_of(s: Session, artifact_id: int) -> int:
    """The unsigned artifact a signed one was made from (itself when it is not a signed one)."""
    sha = s.scalar(select(Artifact.sha256).where(Artifact.id == artifact_id))
    row = s.scalar(
        select(RpmSignature.unsigned_artifact_id).where(RpmSignature.signed_sha256 == sha)
    )
    return row if row is not None else artifact_id


def _chunks(ids: Sequence[Any], n: int = 500) -> list[Sequence[Any]]:
    return [ids[i : i + n] for i in range(0, len(ids), n)]


def signable(
    s: Session, project_id: int, artifact_ids: Sequence[int], imported: bool, strict: bool
) -> list[_Todo]:
    """The artifacts of `artifact_ids` this project may sign: its non-scratch build outputs (and
    its imported RPMs with `imported`), each as its unsigned original. `strict` refuses the whole
    request for any other id."""
    allowed: set[int] = set()
    for part in _chunks(list(dict.fromkeys(artifact_ids))):
        rows = s.execute(
            select(ProjectArtifact.artifact_id, ProjectArtifact.origin, Build.scratch)
            .outerjoin(Build, Build.id == ProjectArtifact.build_id)
            .where(ProjectArtifact.project_id == project_id, ProjectArtifact.artifact_id.in_(part))
        ).all()
        allowed |= {
            aid
            for aid, origin, scratch in rows
            if (origin == "build" and scratch is False) or (imported and origin == "imported")
        }
    refused = [aid for aid in artifact_ids if aid not in allowed]
    if strict and refused:
        raise Forbidden(
            f"artifact {refused[0]} is not a non-scratch build output of this project: "
            "the signer signs nothing else"
        )
    return _originals(s, [aid for aid in dict.fromkeys(artifact_ids) if aid in allowed])


def _originals(s: Session, ids: list[int]) -> list[_Todo]:
    """Each artifact's unsigned original (itself unless it is a file the signer made)."""
    out: dict[int, _Todo] = {}
    for part in _chunks(ids):
        arts = s.execute(
            select(Artifact.id, Artifact.sha256, Artifact.filename).where(Artifact.id.in_(part))
        ).all()
        made = dict(
            s.execute(
                select(RpmSignature.signed_sha256, RpmSignature.unsigned_artifact_id).where(
                    RpmSignature.signed_sha256.in_([a.sha256 for a in arts])
                )
            ).all()
        )
        want = [made.get(a.sha256, a.id) for a in arts]
        for a in s.execute(
            select(Artifact.id, Artifact.sha256, Artifact.filename).where(Artifact.id.in_(want))
        ):
            out[a.id] = _Todo(a.id, a.sha256, a.filename)
    return list(out.values())


class Signer:
    def __init__(
        self, db: Database, store: ObjectStore, keys: KeyStore, work_root: Path | None = None
    ) -> None:
        self.db, self.store, self.keys = db, store, keys
        self.work_root = work_root or keys.runtime_dir

    def sign(
        self,
        project: str,
        artifact_ids: Sequence[int],
        log: Log,
        fpr: str | None = None,
        imported: bool = False,
        strict: bool = True,
        task_id: int | None = None,
    ) -> list[Signed]:
        key = self.keys.signing_key(project, fpr)
        with self.db.session() as s:
            todo = signable(s, key.project_id, artifact_ids, imported, strict)
        done, rest = self._known(key, todo)
        if rest:
            log(f"signing {len(rest)} RPMs with {key.fingerprint} ({len(done)} signed before)")
            done += self._sign_new(project, key, rest, log, task_id)
        return done

    def _known(self, key: SigningKey, todo: list[_Todo]) -> tuple[list[Signed], list[_Todo]]:
        unique = {t.sha256: t for t in todo}
        with self.db.session() as s:
            rows = {
                r.unsigned_sha256: r
                for r in s.scalars(
                    select(RpmSignature).where(
                        RpmSignature.fingerprint == key.fingerprint,
                        RpmSignature.unsigned_sha256.in_(list(unique)),
                    )
                )
            }
        known = [_signed(r, False) for r in rows.values()]
        return known, [t for sha, t in unique.items() if sha not in rows]

    def _sign_new(
        self, project: str, key: SigningKey, todo: list[_Todo], log: Log, task_id: int | None
    ) -> list[Signed]:
        # a small job takes the sandbox made ahead, on its own work directory (signing.warmbox)
        warm = self.keys.sandboxes.take() if len(todo) <= WARM_MAX else None
        work = (
            warm.work_dir if warm else Path(tempfile.mkdtemp(prefix="sign-", dir=self._work_root()))
        )
        used = False
        default = key.id if key.is_default and key.state == "active" else None
        if default is None:  # a retired key (resign --from): no agent of its stays warm
            self.keys.agents.forget({key.id})
        try:
            (work / "rpms").mkdir()
            names = [t.filename for t in todo]
            job = SignJob(key.fingerprint, key.public_key, work, self.keys.runtime_dir, default)
            with ThreadPoolExecutor(4) as pool:  # reading, hashing, copying release the GIL
                list(
                    pool.map(
                        lambda t: self.store.download(t.sha256, work / "rpms" / t.filename), todo
                    )
                )
                secret = lambda: self.keys.secret(project, key.fingerprint)  # noqa: E731
                rsa = self.keys.openssl_signer(project, key)
                used = sign_rpms(job, secret, names, log, rsa, self.keys.agents, warm)
                shas = list(
                    pool.map(lambda t: self._store_signed(work / "rpms" / t.filename), todo)
                )
            return self._record(key, list(zip(todo, shas, strict=True)), task_id)
        finally:
            if warm is not None and not used:
                warm.started.discard()
            shutil.rmtree(work, ignore_errors=True)

    def _work_root(self) -> Path | None:
        if self.work_root is not None:
            self.work_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.work_root

    def _store_signed(self, path: Path) -> str:
        sha = file_sha256(path)
        self.store.put_file(path, expected_sha256=sha)
        return sha

    def _record(
        self, key: SigningKey, done: list[tuple[_Todo, str]], task_id: int | None
    ) -> list[Signed]:
        """One transaction for all; when another signer raced us, row by row (its file wins)."""
        try:
            with self.db.session() as s:
                rows = [self._row(key, t, sha, task_id) for t, sha in done]
                s.add_all(rows)
                s.flush()
                return [_signed(r, True) for r in rows]
        except IntegrityError:
            return [self._record_one(key, t, sha, task_id) for t, sha in done]

    def _row(self, key: SigningKey, t: _Todo, sha: str, task_id: int | None) -> RpmSignature:
        return RpmSignature(
            project_id=key.project_id,
            key_id=key.id,
            fingerprint=key.fingerprint,
            unsigned_sha256=t.sha256,
            signed_sha256=sha,
            unsigned_artifact_id=t.artifact_id,
            task_id=task_id,
        )

    def _record_one(self, key: SigningKey, t: _Todo, sha: str, task_id: int | None) -> Signed:
        try:
            with self.db.session() as s:
                row = self._row(key, t, sha, task_id)
                s.add(row)
                s.flush()
                return _signed(row, True)
        except IntegrityError:  # another signer won the race: its file is the one
            with self.db.session() as s:
                won = s.scalars(
                    select(RpmSignature).where(
                        RpmSignature.unsigned_sha256 == t.sha256,
                        RpmSignature.fingerprint == key.fingerprint,
                    )
                ).one()
                return _signed(won, False)


def _signed(r: RpmSignature, new: bool) -> Signed:
    return Signed(r.id, r.unsigned_sha256, r.signed_sha256, r.fingerprint, new)
