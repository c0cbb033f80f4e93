"""An SRPM is unpacked only after its header and payload digests verify: a payload altered
after it was made is refused before rpm's bindings or the extractor read it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.errors import UnsafeArchive
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import TEST_POLICY, make_project, spec_text


def test_altered_srpm_payload_is_refused(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    top = tmp_path / "rpmbuild"
    (top / "SOURCES").mkdir(parents=True)
    (top / "SOURCES" / "notes.txt").write_text("notes\n" * 200)
    spec = top / "hello.spec"
    spec.write_text(spec_text(sources=("notes.txt",)))
    subprocess.run(
        ["rpmbuild", "-bs", "--define", f"_topdir {top}", "--define", "dist .el9", str(spec)],
        check=True,
        capture_output=True,
    )
    srpm = next((top / "SRPMS").glob("*.src.rpm"))
    data = bytearray(srpm.read_bytes())
    data[-40] ^= 0xFF  # inside the compressed payload
    srpm.write_bytes(bytes(data))
    project = make_project(db, upstream={"kind": "srpm", "url": (tmp_path / "none").as_uri()})
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(UnsafeArchive, match="digest does not verify"):
        run_import(db, fs_store, forge, project, "hello", srpm=srpm, policy=TEST_POLICY)
    assert not forge.exists("el9", "hello")
