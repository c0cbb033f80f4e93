"""Build bookkeeping on the database under test (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

from olivine.builds.records import (
    arch_records,
    claim_nevr,
    create_build,
    finish_build,
    get_build,
    record_arch,
    set_arches,
)
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, Project
from olivine.errors import Conflict, NotFound, ValidationFailed


def _revision(db: Database) -> int:
    tag = uuid.uuid4().hex[:8]
    with db.session() as s:
        p = Project(name=f"p-{tag}", spec={}, spec_sha256="0" * 64)
        pkg = Package(name=f"greet-{tag}")
        s.add_all([p, pkg])
        s.flush()
        rev = ImportRevision(
            project_id=p.id,
            package_id=pkg.id,
            upstream_kind="dist-git",
            upstream_url="file:///up",
            forge_repo=f"p/rpms/{pkg.name}",
            forge_branch="main",
            forge_commit="a" * 40,
            forge_tag="imports/main/greet-1.0-1",
            version="1.0",
            release="1",
        )
        s.add(rev)
        s.flush()
        return rev.id


def test_build_lifecycle_and_arch_records(db: Database) -> None:
    rev = _revision(db)
    b = create_build(db, rev)
    info = get_build(db, b)
    assert info.status == "pending" and info.forge_commit == "a" * 40 and info.nevr is None
    claim_nevr(db, b, None, "1.0", "1.el9", "f" * 64)
    set_arches(db, b, ["x86_64", "aarch64"])
    record_arch(db, b, "x86_64", "building", task_id=None)
    entries = [{"kind": "host", "name": "gcc", "host_package": "gcc", "version": "12"}]
    record_arch(db, b, "x86_64", "complete", entries=entries)  # a retry replaces the record
    record_arch(db, b, "aarch64", "failed", reason="%build failed at line 3 of the log: x")
    finish_build(db, b, "failed", "aarch64: %build failed at line 3 of the log: x")
    info = get_build(db, b)
    assert info.status == "failed" and info.arches == ["x86_64", "aarch64"]
    assert info.nevr.endswith("-1.0-1.el9") and info.finished_at is not None  # type: ignore[union-attr]
    recs = arch_records(db, b)
    assert [(r.arch, r.status) for r in recs] == [("x86_64", "complete"), ("aarch64", "failed")]
    assert recs[0].entries == entries


def test_same_nevr_is_not_built_twice(db: Database) -> None:
    rev = _revision(db)
    first = create_build(db, rev)
    claim_nevr(db, first, None, "1.0", "1.el9", "f" * 64)
    second = create_build(db, rev)
    with pytest.raises(Conflict, match=rf"1.0-1.el9 is already built .*build {first}"):
        claim_nevr(db, second, None, "1.0", "1.el9", "f" * 64)
    refused = get_build(db, second)  # a refused build ends failed with the reason
    assert refused.status == "failed" and refused.finished_at is not None
    assert refused.reason is not None and "is already built into this project" in refused.reason
    scratch = create_build(db, rev, scratch=True)
    claim_nevr(db, scratch, None, "1.0", "1.el9", "f" * 64)  # scratch builds take no NEVR
    finish_build(db, first, "failed", "x")
    claim_nevr(db, second, None, "1.0", "1.el9", "f" * 64)  # a failed build frees it
    assert get_build(db, second).status == "building"


def test_unknown_revision_and_status_are_clear_errors(db: Database) -> None:
    with pytest.raises(NotFound, match="import revision 999999"):
        create_build(db, 999999)
    b = create_build(db, _revision(db))
    with pytest.raises(ValidationFailed, match="unknown build status"):
        finish_build(db, b, "done")
