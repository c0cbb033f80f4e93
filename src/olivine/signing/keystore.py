"""The key store: a project's keys in the database, private halves sealed under the signer's KEK.

Two sides. `KeyBook` needs no KEK (the API's side): list, public export, default, revoke, audit.
`KeyStore` is the signer's side: it holds the KEK, makes and imports keys, and opens a sealed
secret for a signing job. A sealed blob's purpose binds it to the project and the fingerprint, so
a blob copied onto another row does not open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database, utcnow
from olivine.db.models import Project
from olivine.db.models.signing import KeyEvent, RpmSignature, SigningKey
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.signing import keys as material
from olivine.signing.agents import AgentPool
from olivine.signing.openpgp import RsaSigner
from olivine.signing.sealing import Kek
from olivine.signing.warmbox import WarmSandbox


def purpose(project: str, fingerprint: str) -> str:
    return f"project:{project}:key:{fingerprint}"


@dataclass(frozen=True)
class KeySummary:
    """What anyone may see of a key: never the secret."""

    id: int
    project: str
    fingerprint: str
    algorithm: str
    user_id: str
    origin: str
    state: str
    is_default: bool
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


@dataclass(frozen=True)
class KeyRevoked:
    """Handed to every `on_key_revoked` hook (the transparency log enters it)."""

    project: str
    fingerprint: str
    reason: str
    revoked_at: datetime
    signed_artifacts: list[str]  # signed sha256s now marked


@dataclass(frozen=True)
class AuditEntry:
    id: int
    fingerprint: str
    action: str
    actor_id: int | None
    detail: dict[str, Any]
    created_at: datetime


# Called after a revocation commits; the provenance helper registers the log's hook here.
KEY_REVOKED_HOOKS: list[Callable[[KeyRevoked], None]] = []


def on_key_revoked(hook: Callable[[KeyRevoked], None]) -> Callable[[KeyRevoked], None]:
    KEY_REVOKED_HOOKS.append(hook)
    return hook


def _summary(project: str, k: SigningKey) -> KeySummary:
    return KeySummary(
        k.id,
        project,
        k.fingerprint,
        k.algorithm,
        k.user_id,
        k.origin,
        k.state,
        k.is_default,
        k.expires_at,
        k.created_at,
        k.revoked_at,
        k.revoked_reason,
    )


def normalise_fpr(fpr: str) -> str:
    out = fpr.replace(" ", "").upper()
    if not (16 <= len(out) <= 64) or any(c not in "0123456789ABCDEF" for c in out):
        raise ValidationFailed(f"{fpr!r} is not a key fingerprint (hex)")
    return out


class KeyBook:
    """The key store without the KEK: what the API process may do."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _project(self, s: Session, name: str) -> Project:
        p = s.scalar(select(Project).where(Project.name == name))
        if p is None:
            raise NotFound(f"project {name} does not exist")
        return p

    def _key(self, s: Session, project: Project, fpr: str) -> SigningKey:
        fpr = normalise_fpr(fpr)
        k = s.scalar(
            select(SigningKey).where(
                SigningKey.project_id == project.id, SigningKey.fingerprint.endswith(fpr)
            )
        )
        if k is None:
            raise NotFound(f"project {project.name} has no key {fpr}")
        return k

    def event(
        self,
        s: Session,
        project_id: int,
        key: SigningKey | None,
        fpr: str,
        action: str,
        actor_id: int | None,
        **detail: Any,
    ) -> None:
        s.add(
            KeyEvent(
                project_id=project_id,
                key_id=key.id if key else None,
                fingerprint=fpr,
                action=action,
                actor_id=actor_id,
                detail=detail,
            )
        )

    def list_keys(self, project: str) -> list[KeySummary]:
        with self.db.session() as s:
            p = self._project(s, project)
            rows = s.scalars(
                select(SigningKey).where(SigningKey.project_id == p.id).order_by(SigningKey.id)
            )
            return [_summary(project, k) for k in rows]

    def get(self, project: str, fpr: str) -> KeySummary:
        with self.db.session() as s:
            return _summary(project, self._key(s, self._project(s, project), fpr))

    def default(self, project: str) -> KeySummary | None:
        with self.db.session() as s:
            p = self._project(s, project)
            k = s.scalar(
                select(SigningKey).where(SigningKey.project_id == p.id, SigningKey.is_default)
            )
            return _summary(project, k) if k else None

    def export_public(self, project: str, fpr: str | None, actor_id: int | None) -> str:
        """The armored public key (the default one when `fpr` is None); recorded in the audit."""
        with self.db.session() as s:
            p = self._project(s, project)
            if fpr is None:
                k = s.scalar(
                    select(SigningKey).where(SigningKey.project_id == p.id, SigningKey.is_default)
                )
                if k is None:
                    raise NotFound(f"project {project} has no default signing key")
            else:
                k = self._key(s, p, fpr)
            self.event(s, p.id, k, k.fingerprint, "exported", actor_id)  # None: anonymous
            return k.public_key

    def public_keys(self, project_id: int) -> list[str]:
        """Every key that verifies the project's packages (default first; revoked ones left
        out): served as RPM-GPG-KEY, so rotation keeps old packages installable."""
        with self.db.session() as s:
            rows = s.scalars(
                select(SigningKey)
                .where(SigningKey.project_id == project_id, SigningKey.state != "revoked")
                .order_by(SigningKey.is_default.desc(), SigningKey.id.desc())
            )
            return [k.public_key for k in rows]

    def set_default(self, project: str, fpr: str, actor_id: int | None) -> KeySummary:
        with self.db.session() as s:
            p = self._project(s, project)
            k = self._key(s, p, fpr)
            if k.state == "revoked":
                raise Conflict(f"key {k.fingerprint} is revoked: it cannot become the default")
            self._make_default(s, p, k, actor_id)
            return _summary(project, k)

    def _make_default(self, s: Session, p: Project, k: SigningKey, actor_id: int | None) -> None:
        old = s.scalar(
            select(SigningKey).where(SigningKey.project_id == p.id, SigningKey.is_default)
        )
        if old is not None and old.id != k.id:
            old.is_default, old.state = False, "retired"  # still verifies what it signed
            s.flush()
            self.event(s, p.id, k, k.fingerprint, "rotated", actor_id, previous=old.fingerprint)
        k.is_default, k.state = True, "active"
        self.event(s, p.id, k, k.fingerprint, "default", actor_id)

    def revoke(self, project: str, fpr: str, reason: str, actor_id: int | None) -> KeyRevoked:
        if not reason.strip():
            raise ValidationFailed("say why the key is revoked (--reason)")
        with self.db.session() as s:
            p = self._project(s, project)
            k = self._key(s, p, fpr)
            if k.state == "revoked":
                raise Conflict(f"key {k.fingerprint} was already revoked on {k.revoked_at}")
            now = utcnow()
            k.state, k.is_default, k.revoked_at, k.revoked_reason = "revoked", False, now, reason
            signed = list(
                s.scalars(select(RpmSignature.signed_sha256).where(RpmSignature.key_id == k.id))
            )
            s.execute(
                update(RpmSignature).where(RpmSignature.key_id == k.id).values(key_revoked=True)
            )
            self.event(
                s,
                p.id,
                k,
                k.fingerprint,
                "revoked",
                actor_id,
                reason=reason,
                signed_artifacts=len(signed),
            )
            out = KeyRevoked(project, k.fingerprint, reason, now, signed)
        for hook in KEY_REVOKED_HOOKS:
            hook(out)
        return out

    def audit(self, project: str, limit: int = 200) -> list[AuditEntry]:
        with self.db.session() as s:
            p = self._project(s, project)
            rows = s.scalars(
                select(KeyEvent)
                .where(KeyEvent.project_id == p.id)
                .order_by(KeyEvent.id.desc())
                .limit(limit)
            )
            return [
                AuditEntry(e.id, e.fingerprint, e.action, e.actor_id, e.detail, e.created_at)
                for e in rows
            ]


OPENSSL_KEYS_KEPT = 16


class KeyStore(KeyBook):
    """The signer's side: holds the KEK."""

    def __init__(self, db: Database, kek: Kek, runtime_dir: Path | None = None) -> None:
        super().__init__(db)
        self.kek, self.runtime_dir = kek, runtime_dir
        self.agents = AgentPool(runtime_dir, self.still_default)  # warm gpg-agents per key
        self.sandboxes = WarmSandbox(runtime_dir)  # one rpmsign sandbox made ahead
        self._openssl: dict[int, RsaSigner | None] = {}  # key row id -> parsed, for reuse

    def still_default(self, key_ids: list[int]) -> set[int]:
        """Those of these keys that are still their project's active default key."""
        with self.db.session() as s:
            return set(
                s.scalars(
                    select(SigningKey.id).where(
                        SigningKey.id.in_(key_ids),
                        SigningKey.is_default,
                        SigningKey.state == "active",
                    )
                )
            )

    def _family(self, p: Project) -> str:
        return str((p.spec.get("vendor") or {}).get("family", "el"))

    def create(
        self,
        project: str,
        actor_id: int | None,
        algorithm: str = "rsa4096",
        expiry_days: int = material.DEFAULT_EXPIRY_DAYS,
        user_id: str | None = None,
        make_default: bool = True,
    ) -> KeySummary:
        with self.db.session() as s:
            p = self._project(s, project)
            material.check_algorithm(algorithm, self._family(p))
            uid = user_id or material.default_user_id(project, p.spec.get("macros") or {})
        made = material.generate(uid, algorithm, expiry_days, self.runtime_dir)
        return self._store(project, made, "created", actor_id, make_default)

    def import_key(
        self, project: str, armored: bytes, actor_id: int | None, make_default: bool = True
    ) -> KeySummary:
        with self.db.session() as s:
            family = self._family(self._project(s, project))
        made = material.inspect_private(armored, family, self.runtime_dir)
        return self._store(project, made, "imported", actor_id, make_default)

    def _store(
        self,
        project: str,
        made: material.KeyMaterial,
        origin: str,
        actor_id: int | None,
        make_default: bool,
    ) -> KeySummary:
        fpr = made.info.fingerprint
        sealed = self.kek.seal(made.secret, purpose(project, fpr))
        try:
            with self.db.session() as s:
                p = self._project(s, project)
                k = SigningKey(
                    project_id=p.id,
                    fingerprint=fpr,
                    algorithm=made.info.algorithm,
                    user_id=made.info.user_id,
                    origin=origin,
                    public_key=made.public_key,
                    sealed_secret=sealed,
                    expires_at=made.info.expires_at,
                    created_by_id=actor_id,
                )
                s.add(k)
                s.flush()
                self.event(s, p.id, k, fpr, origin, actor_id, algorithm=made.info.algorithm)
                has_default = s.scalar(
                    select(SigningKey.id).where(
                        SigningKey.project_id == p.id, SigningKey.is_default
                    )
                )
                if make_default or has_default is None:
                    self._make_default(s, p, k, actor_id)
                return _summary(project, k)
        except IntegrityError:
            raise Conflict(f"project {project} already has key {fpr}") from None

    def signing_key(self, project: str, fpr: str | None) -> SigningKey:
        """The key that signs for the project now (its default, or `fpr`), detached from the
        session; never a revoked one. Its sealed secret is not loaded."""
        with self.db.session() as s:
            p = self._project(s, project)
            q = select(SigningKey).where(SigningKey.project_id == p.id)
            q = q.where(SigningKey.fingerprint == fpr) if fpr else q.where(SigningKey.is_default)
            k = s.scalar(q)
            if k is None:
                what = f"key {fpr}" if fpr else "default signing key"
                raise NotFound(f"project {project} has no {what} (olivine key create {project})")
            if k.state == "revoked":
                raise Conflict(f"key {k.fingerprint} of {project} is revoked: it signs nothing")
            s.expunge(k)
            return k

    def openssl_signer(self, project: str, key: SigningKey) -> RsaSigner | None:
        """The in-process OpenSSL signer of `key` (one RSA key that Sequoia's policy accepts:
        signing.detached), or None. Parsed once per signer process, as a warm gpg-agent holds
        its key: opening and parsing the sealed secret cost each job a few ms. The caller got
        `key` from `signing_key` for this job, which refuses revoked keys."""
        if key.id not in self._openssl:
            from olivine.signing import rpmsign

            if len(self._openssl) >= OPENSSL_KEYS_KEPT:
                self._openssl.pop(next(iter(self._openssl)))
            secret = self.secret(project, key.fingerprint)
            self._openssl[key.id] = rpmsign.in_process_signer(key.fingerprint, secret)
        return self._openssl[key.id]

    def secret(self, project: str, fpr: str) -> bytes:
        """The armored secret key, for one signing job (never logged, never returned)."""
        with self.db.session() as s:
            p = self._project(s, project)
            k = self._key(s, p, fpr)
            if k.state == "revoked":
                raise Conflict(f"key {k.fingerprint} of {project} is revoked: it signs nothing")
            blob = k.sealed_secret
        return self.kek.open(blob, purpose(project, k.fingerprint))
