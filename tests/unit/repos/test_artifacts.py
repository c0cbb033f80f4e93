from pathlib import Path

import pytest
from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.errors import Conflict, ValidationFailed
from olivine.repos.artifacts import ingest_rpm
from olivine.storage.fs import FsStore
from tests.unit.repos.helpers import CREATEREPO, PULP, make_project


def test_ingest_stores_by_sha256_and_records_the_header(db: Database, fs_store: FsStore) -> None:
    pid = make_project(db)
    info = ingest_rpm(
        db,
        fs_store,
        PULP / "bear-4.1-1.noarch.rpm",
        pid,
        origin="imported",
        original_name="my-bear.rpm",
    )
    assert info.created and info.nevra == "bear-4.1-1.noarch" and info.origin == "imported"
    assert fs_store.exists(info.sha256)
    with db.session() as s:
        a = s.scalars(select(Artifact)).one()
        link = s.scalars(select(ProjectArtifact)).one()
    assert (a.name, a.version, a.release, a.arch, a.license) == (
        "bear",
        "4.1",
        "1",
        "noarch",
        "GPLv2",
    )
    assert a.sourcerpm == "bear-4.1-1.src.rpm" and a.size == 1846
    assert a.location_href == "Packages/b/bear-4.1-1.noarch.rpm"
    assert f'pkgid="YES">{info.sha256}<' in a.primary_xml
    assert "<file>/tmp/bear.txt</file>" in a.filelists_xml
    assert a.other_xml.startswith("<package pkgid=")
    assert link.original_name == "my-bear.rpm"


def test_ingest_is_idempotent_and_shares_the_artifact(db: Database, fs_store: FsStore) -> None:
    p1, p2 = make_project(db, "one"), make_project(db, "two")
    rpm = PULP / "cat-1.0-1.noarch.rpm"
    first = ingest_rpm(db, fs_store, rpm, p1)
    again = ingest_rpm(db, fs_store, rpm, p1)
    other = ingest_rpm(db, fs_store, rpm, p2)
    assert not again.created and again.project_artifact_id == first.project_artifact_id
    assert other.artifact_id == first.artifact_id and other.created
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Artifact)) == 1


def test_same_nevra_different_file_is_a_conflict(db: Database, fs_store: FsStore) -> None:
    pid = make_project(db)
    ingest_rpm(db, fs_store, CREATEREPO / "empty-0-0.x86_64.rpm", pid)
    with pytest.raises(Conflict, match=r"already has empty-0-0.x86_64"):
        ingest_rpm(db, fs_store, CREATEREPO / "empty-signed-rsa-0-0.x86_64.rpm", pid)


def test_not_an_rpm_is_rejected_and_nothing_is_stored(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    pid = make_project(db)
    bad = tmp_path / "notes.rpm"
    bad.write_text("hello")
    with pytest.raises(ValidationFailed, match=r"notes\.rpm: not an RPM file"):
        ingest_rpm(db, fs_store, bad, pid)
    trunc = tmp_path / "trunc.rpm"
    trunc.write_bytes((PULP / "bear-4.1-1.noarch.rpm").read_bytes()[:300])
    with pytest.raises(ValidationFailed, match=r"trunc\.rpm"):
        ingest_rpm(db, fs_store, trunc, pid)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Artifact)) == 0


def test_srpm_and_legacy_encodings(db: Database, fs_store: FsStore) -> None:
    pid = make_project(db)
    src = ingest_rpm(db, fs_store, CREATEREPO / "empty-0-0.src.rpm", pid)
    latin = ingest_rpm(db, fs_store, CREATEREPO / "balicek-iso88591-1.1.1-1.x86_64.rpm", pid)
    assert src.filename == "empty-0-0.src.rpm"
    with db.session() as s:
        a = s.get(Artifact, latin.artifact_id)
        assert a is not None and a.primary_xml.encode("utf-8")
