"""Module sources: each rpm component's ref is rewritten to the pinned forge commit."""

from __future__ import annotations

from pathlib import Path

import gi
import pytest

from olivine.db.base import Database
from olivine.errors import ValidationFailed
from olivine.forge.local import LocalForge
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import (
    TEST_POLICY,
    commit,
    init_repo,
    make_project,
    spec_text,
)

MODULEMD = """\
document: modulemd
version: 2
data:
  summary: A module
  description: A module of hello.
  license:
    module: [MIT]
  components:
    rpms:
      hello:
        rationale: the greeting
        ref: c9-stream-1.0
"""


def test_module_components_pinned(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    up = tmp_path / "up"
    commit(init_repo(up / "hello.git", branch="c9"), {"SPECS/hello.spec": spec_text(sources=())})
    mod = init_repo(up / "mymod.git", branch="c9-stream-1.0")
    commit(mod, {"SOURCES/modulemd.src.txt": MODULEMD}, date=1_700_000_000)
    project = make_project(
        db,
        upstream={"kind": "dist-git", "url": up.as_uri() + "/{name}.git", "branch": "c9"},
        packages=[{"name": "hello"}, {"name": "mymod", "upstream": {"branch": "c9-stream-1.0"}}],
    )
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(ValidationFailed, match="component hello has not been imported"):
        run_import(db, fs_store, forge, project, "mymod", policy=TEST_POLICY)
    hello = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    res = run_import(db, fs_store, forge, project, "mymod", policy=TEST_POLICY)
    assert res.version == "1.0" and res.release == "20231114221320"
    assert res.forge_tag == "imports/r9/mymod-1.0-20231114221320"
    text = forge.read_file("el9", "mymod", res.forge_commit, "SOURCES/modulemd.src.txt").decode()
    gi.require_version("Modulemd", "2.0")
    from gi.repository import Modulemd

    stream = Modulemd.read_packager_string(text, None, None)
    assert stream.get_module_name() == "mymod" and stream.get_stream_name() == "1.0"
    assert stream.get_rpm_component("hello").get_ref() == hello.forge_commit
