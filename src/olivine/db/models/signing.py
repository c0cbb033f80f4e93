"""Signing: project keys (private halves sealed under the signer's KEK), their audit trail, and
what each key signed (RPMs by sha256, repomd.xml revisions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from olivine.db.base import Base, utcnow


class SigningKey(Base):
    """One OpenPGP key of a project. `sealed_secret` opens only with the signer's KEK (purpose
    `project:<name>:key:<fingerprint>`); it is deferred so that no ordinary query loads it."""

    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # upper-case hex
    algorithm: Mapped[str] = mapped_column(String(32))  # rsa4096, ed25519 ...
    user_id: Mapped[str] = mapped_column(String(512))  # the key's OpenPGP uid
    origin: Mapped[str] = mapped_column(String(16))  # created | imported
    public_key: Mapped[str] = mapped_column(Text)  # armored
    sealed_secret: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    is_default: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | retired | revoked
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyEvent(Base):
    """The audit trail of a project's keys: created, imported, exported, default, rotated,
    revoked, resigned. The provenance log reads `revoked` rows (signing.keys.on_key_revoked)."""

    __tablename__ = "key_events"
    __table_args__ = (Index("ix_key_events_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RpmSignature(Base):
    """(unsigned sha256, key fingerprint) -> signed sha256: the same RPM is signed once per key,
    whoever asks and however often (the unique constraint settles races between signers)."""

    __tablename__ = "rpm_signatures"
    __table_args__ = (
        UniqueConstraint("unsigned_sha256", "fingerprint"),
        Index("ix_rpm_signatures_signed_sha256", "signed_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    unsigned_sha256: Mapped[str] = mapped_column(String(64))
    signed_sha256: Mapped[str] = mapped_column(String(64))
    unsigned_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    signed_artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    key_revoked: Mapped[bool] = mapped_column(default=False)  # set when its key is revoked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepomdSignature(Base):
    """The detached signature of one revision's repomd.xml (the bytes the DB records)."""

    __tablename__ = "repomd_signatures"
    __table_args__ = (UniqueConstraint("revision_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("repository_revisions.id", ondelete="CASCADE"), index=True
    )
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    arch: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    repomd_sha256: Mapped[str] = mapped_column(String(64))
    asc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignerInbox(Base):
    """The signer's X25519 public key, to which the API encrypts a private key being imported
    (so that it never travels in the clear, nor in a Temporal payload); its private half is
    sealed under the KEK and opens only in the signer."""

    __tablename__ = "signer_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw X25519, hex
    sealed_private: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyRequest(Base):
    """A key to create or import, handed from the API to the signer by id."""

    __tablename__ = "key_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # create | import
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed_input: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # wiped after use
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepomdSwitch(Base):
    """A signed head move (olivine.repos.pairing): written before the head moves, so that every
    API process that sees the new head also sees that it just moved and from which revision."""

    __tablename__ = "repomd_switches"
    __table_args__ = (Index("ix_repomd_switches_repo_arch", "repository_id", "arch", "moved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    arch: Mapped[str] = mapped_column(String(32))
    from_revision_id: Mapped[int | None]  # None: the first head
    to_revision_id: Mapped[int]
    moved_at: Mapped[float]  # unix time, shared by every API process


class RepomdClient(Base):
    """Which revision's repomd.xml a client was served, near a head move (olivine.repos.pairing),
    so that its repomd.xml.asc follows, whichever API process answers it."""

    __tablename__ = "repomd_clients"
    __table_args__ = (UniqueConstraint("client", "repository_id", "arch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    arch: Mapped[str] = mapped_column(String(32))
    revision_id: Mapped[int]
    served_at: Mapped[float]  # unix time
