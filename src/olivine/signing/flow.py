"""A signed publish in one process: the steps the publisher workflow runs on three queues
(sign RPMs, adopt, publish with held heads, sign repomd.xml, move heads), for the tests and the
benchmark, which have the KEK at hand. Production runs them through workflows.signing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import ProjectArtifact
from olivine.repos.pairing import activate_paired
from olivine.repos.publish import PublishResult, publish_project
from olivine.signing.adopt import adopt_signed
from olivine.signing.keystore import KeyStore
from olivine.signing.repomd import RevisionToSign, sign_revisions
from olivine.signing.signer import Signer
from olivine.storage.interfaces import ObjectStore


@dataclass(frozen=True)
class SignedPublish:
    signed: int
    publish: PublishResult
    repomd_signed: int


def publish_signed_now(
    db: Database,
    store: ObjectStore,
    keys: KeyStore,
    project: str,
    project_id: int,
    changed: Sequence[int] | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> SignedPublish:
    ids = list(changed) if changed is not None else _all(db, project_id)
    out = Signer(db, store, keys).sign(project, ids, log, strict=False)
    adopted = adopt_signed(db, store, project_id, [r.signature_id for r in out])
    hint = None if changed is None else sorted(set(changed) | set(adopted.changed))
    pub = publish_project(db, store, project_id, changed=hint, log=log, hold_heads=True)
    want = [RevisionToSign(r.revision_id, r.repomd_sha256) for r in pub.revisions]
    made = sign_revisions(db, keys, project, want, keys.runtime_dir) if want else 0
    activate_paired(db, [r.revision_id for r in pub.revisions])
    return SignedPublish(sum(r.new for r in out), pub, made)


def _all(db: Database, project_id: int) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(
                select(ProjectArtifact.artifact_id).where(ProjectArtifact.project_id == project_id)
            )
        )
