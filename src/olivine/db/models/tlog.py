"""The instance key, the transparency log (leaves, stored subtree hashes, the sequencer's state,
signed checkpoints) and the provenance of builds (envelope, SBOM, subjects by digest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from olivine.db.base import Base, utcnow


class InstanceKey(Base):
    """The instance's own Ed25519 key: the private half only sealed under the signer's KEK."""

    __tablename__ = "instance_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)  # 'instance': one per instance
    algorithm: Mapped[str] = mapped_column(String(16))
    keyid: Mapped[str] = mapped_column(String(64))  # DSSE keyid (securesystemslib's default)
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, hex
    origin: Mapped[str] = mapped_column(String(255))  # the log's name in its checkpoints
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogState(Base):
    """One row: the log's size and root. Every append locks it first (the one sequencer)."""

    __tablename__ = "tlog_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[str] = mapped_column(String(64))


class LogLeaf(Base):
    __tablename__ = "tlog_leaves"

    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    leaf_hash: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the exact leaf bytes (canonical JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogNode(Base):
    """The hash of the complete subtree at (level, index): leaves [index*2^level, +2^level)."""

    __tablename__ = "tlog_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogCheckpoint(Base):
    """A signed checkpoint (C2SP signed note) of the log at one size."""

    __tablename__ = "tlog_checkpoints"

    size: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Provenance(Base):
    """A build's signed provenance: the DSSE envelope and the SBOM are objects in the store."""

    __tablename__ = "provenance"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    statement_sha256: Mapped[str] = mapped_column(String(64))
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    sbom_sha256: Mapped[str] = mapped_column(String(64))
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    keyid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProvenanceSubject(Base):
    """A subject of a provenance statement by one digest: `sha256` (the file) or
    `rpmheader-sha256` (the RPM header's SHA256HEADER, unchanged by signing)."""

    __tablename__ = "provenance_subjects"
    __table_args__ = (Index("ix_provenance_subjects_digest", "algorithm", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provenance_id: Mapped[int] = mapped_column(
        ForeignKey("provenance.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(512))
    algorithm: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
