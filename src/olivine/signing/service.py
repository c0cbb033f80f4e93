"""What others call in signing: the steps the workflows run, and the `submit()` of each job.

Signer-side functions take a `KeyStore` (it holds the KEK: only the signing worker makes one,
with `open_keystore`); everything else needs only the database and the object store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from olivine.db.models import Project, ProjectArtifact
from olivine.db.models.signing import KeyRequest, RpmSignature, SigningKey
from olivine.errors import ConfigError, NotFound
from olivine.services import Services
from olivine.signing import adopt as adopting
from olivine.signing.inbox import ensure_inbox, open_sealed
from olivine.signing.jobs import (
    AdoptInput,
    AdoptResult,
    KeyRequestInput,
    KeyRequestResult,
    RepomdInput,
    ResignInput,
    SigningPolicy,
    SignInput,
    SignResult,
)
from olivine.signing.keys import DEFAULT_EXPIRY_DAYS
from olivine.signing.keystore import KeyBook, KeyStore, KeySummary
from olivine.signing.repomd import RevisionToSign, sign_revisions
from olivine.signing.sealing import load_kek
from olivine.signing.signer import Signer, original_of
from olivine.signing.submit import (  # noqa: F401 - the submit() of each signing job
    record_key_request,
    record_resign,
    submit_key_request,
    submit_resign,
)
from olivine.tasks.service import TaskLogWriter


def open_keystore(svc: Services) -> KeyStore:
    """The signer's key store; ConfigError when this process has no KEK to open keys with."""
    path = svc.settings.signing_kek_file
    if path is None:
        raise ConfigError(
            "this worker has no signing KEK: OLIVINE_SIGNING_KEK_FILE must name the KEK file "
            "(only the signing worker serves olivine-sign)"
        )
    kek = load_kek(path, svc.settings.data_dir)
    store = KeyStore(svc.db, kek, svc.settings.signing_runtime_dir)
    ensure_inbox(svc.db, kek)
    return store


def _mode(project: Project) -> str:
    return str(project.spec.get("signing") or "optional")


def policy(svc: Services, project: str) -> SigningPolicy:
    with svc.db.session() as s:
        p = s.scalar(select(Project).where(Project.name == project))
        if p is None:
            raise NotFound(f"project {project} does not exist")
        fpr = s.scalar(
            select(SigningKey.fingerprint).where(
                SigningKey.project_id == p.id, SigningKey.is_default
            )
        )
        mode, pid = _mode(p), p.id
    out = SigningPolicy(project, mode, fpr if mode != "off" else None)
    if mode == "required" and fpr is None:
        out.refusal = (
            f"project {project} sets 'signing: required' but has no default key "
            f"(olivine key create {project}): nothing is published unsigned"
        )
    if out.signs or out.refusal:
        out.task_id = svc.tasks.create("sign", project_id=pid, summary=f"sign {project}")
        svc.tasks.start(out.task_id)
        if out.refusal:
            svc.tasks.finish(out.task_id, "failed", error=out.refusal)
    return out


def _log(svc: Services, task_id: int | None) -> Any:
    if task_id is None:
        return lambda _m: None
    w = TaskLogWriter(svc.tasks, task_id)

    def line(m: str) -> None:
        w.line(m)
        w.close()

    return line


def _build_outputs(svc: Services, project: str) -> list[int]:
    with svc.db.session() as s:
        return list(
            s.scalars(
                select(ProjectArtifact.artifact_id)
                .join(Project, Project.id == ProjectArtifact.project_id)
                .where(Project.name == project)
            )
        )


def sign_rpms(svc: Services, keys: KeyStore, inp: SignInput) -> SignResult:
    ids = _build_outputs(svc, inp.project) if inp.full else inp.artifact_ids
    signer = Signer(svc.db, svc.store, keys)
    out = signer.sign(
        inp.project,
        ids,
        _log(svc, inp.task_id),
        imported=inp.imported,
        strict=inp.strict,
        task_id=inp.task_id,
    )
    fpr = out[0].fingerprint if out else ""
    return SignResult(
        [r.signature_id for r in out], sum(r.new for r in out), sum(not r.new for r in out), fpr
    )


def sign_repomd(svc: Services, keys: KeyStore, inp: RepomdInput) -> int:
    want = [RevisionToSign(r.revision_id, r.repomd_sha256) for r in inp.revisions]
    made = sign_revisions(svc.db, keys, inp.project, want, keys.runtime_dir)
    _log(svc, inp.task_id)(f"signed {made} repomd.xml ({len(want) - made} signed before)")
    return made


def adopt(svc: Services, inp: AdoptInput) -> AdoptResult:
    with svc.db.session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == inp.project))
    if pid is None:
        raise NotFound(f"project {inp.project} does not exist")
    return AdoptResult(adopting.adopt_signed(svc.db, svc.store, pid, inp.signature_ids).changed)


def activate(svc: Services, revision_ids: Sequence[int]) -> None:
    """Move the heads to signed revisions so that every repomd.xml/.asc pair served matches."""
    from olivine.repos.pairing import activate_paired

    activate_paired(svc.db, revision_ids)


def resign_targets(svc: Services, inp: ResignInput) -> list[int]:
    """The project's RPMs to sign again: those `from_fingerprint` signed (every one when None)
    that the default key has not signed yet."""
    book = KeyBook(svc.db)
    default = book.default(inp.project)
    if default is None:
        raise NotFound(f"project {inp.project} has no default key to re-sign with")
    out: list[int] = []
    with svc.db.session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == inp.project))
        links = s.execute(
            select(ProjectArtifact.artifact_id, ProjectArtifact.origin).where(
                ProjectArtifact.project_id == pid
            )
        ).all()
        for aid, origin in links:
            if origin == "imported" and not inp.imported:
                continue
            orig = original_of(s, aid)
            fprs = set(
                s.scalars(
                    select(RpmSignature.fingerprint).where(
                        RpmSignature.unsigned_artifact_id == orig,
                        RpmSignature.signed_artifact_id == aid,
                    )
                )
            )
            if default.fingerprint in fprs:
                continue
            if inp.from_fingerprint is None or inp.from_fingerprint in fprs:
                out.append(aid)
    return out


def published(svc: Services, project: str, artifact_ids: Sequence[int]) -> bool:
    from olivine.builds.steps import published_in_all

    with svc.db.session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == project))
    held = adopting.current_ids(svc.db, pid or 0, artifact_ids)
    return published_in_all(svc.db, pid or 0, held)


# ---- key requests: the API records one (olivine.signing.submit), the signer carries it out ----


def run_key_request(svc: Services, keys: KeyStore, inp: KeyRequestInput) -> KeyRequestResult:
    with svc.db.session() as s:
        req = s.scalar(
            select(KeyRequest)
            .options(undefer(KeyRequest.sealed_input))
            .where(KeyRequest.id == inp.request_id)
        )
        if req is None:
            raise NotFound(f"key request {inp.request_id} does not exist")
        project = s.scalar(select(Project.name).where(Project.id == req.project_id)) or ""
        kind, params, sealed, actor = req.kind, dict(req.params), req.sealed_input, req.actor_id
        if req.key_id is not None:  # a retried activity: the key is made already
            k = s.get(SigningKey, req.key_id)
            assert k is not None
            return _public(keys.get(project, k.fingerprint))
    try:
        summary = _carry_out(keys, project, kind, params, sealed, actor, svc)
    except Exception as e:
        _close_request(svc, inp.request_id, "failed", None, getattr(e, "message", "failed"))
        raise
    _close_request(svc, inp.request_id, "succeeded", summary.id, None)
    return _public(summary)


def _carry_out(
    keys: KeyStore,
    project: str,
    kind: str,
    params: dict[str, Any],
    sealed: bytes | None,
    actor: int | None,
    svc: Services,
) -> KeySummary:
    default = bool(params.get("make_default", True))
    if kind == "import":
        if sealed is None:
            raise NotFound("this key import request holds no key (it was used already)")
        armored = open_sealed(ensure_inbox(svc.db, keys.kek), sealed)
        return keys.import_key(project, armored, actor, make_default=default)
    return keys.create(
        project,
        actor,
        params.get("algorithm") or "rsa4096",
        int(params.get("expiry_days") or DEFAULT_EXPIRY_DAYS),
        params.get("user_id"),
        make_default=default,
    )


def _close_request(
    svc: Services, rid: int, status: str, key_id: int | None, error: str | None
) -> None:
    with svc.db.session() as s:
        req = s.get(KeyRequest, rid)
        if req is not None:
            req.status, req.key_id, req.error, req.sealed_input = status, key_id, error, None


def _public(k: KeySummary) -> KeyRequestResult:
    expires = k.expires_at.isoformat() if k.expires_at else None
    return KeyRequestResult(k.fingerprint, k.algorithm, k.user_id, k.state, k.is_default, expires)
