"""The demo's declared patch (examples/patches/greet) applies with the import engine's directive
code, and the patched greet builds against the project's libgreet and prints the banner."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from olivine.builds.rpminfo import rpm_info
from olivine.storage.fs import FsStore

from .conftest import EXAMPLES, Builder

PATCHES = EXAMPLES.parent / "patches" / "greet"


def test_demo_patch_applies_and_patched_program_builds(
    demo: dict[str, Any], tmp_path: Path, fs_store: FsStore
) -> None:
    apply = pytest.importorskip("olivine.imports.patches.apply")
    repo = pytest.importorskip("olivine.imports.patches.repo")
    tree = Path(shutil.copytree(EXAMPLES / "greet", tmp_path / "greet"))
    ws = apply.Workspace(
        tree, {}, fs_store, PATCHES, "greet", [("dist", ".el9")], datetime(2026, 11, 25)
    )
    for df in repo.read_directives(PATCHES):
        apply.apply_file(ws, df)
    spec = (tree / "SPECS" / "greet.spec").read_text()
    assert "Release:        1.olv1%{?dist}" in spec
    assert "%patch -P0 -p1" in spec
    b: Builder = demo["builder"]
    srpm, _ = b.srpm(tree)
    assert srpm.ok, srpm.reason
    res, log = b.arch(srpm, repos=demo["repos"])
    assert res.ok, f"{res.reason}\n{log.text[-3000:]}"
    binary = next(p for p in res.rpms if rpm_info(p).name == "greet")
    assert binary.name == "greet-1.0-1.olv1.el9.x86_64.rpm"
    root = tmp_path / "root"
    root.mkdir()
    r2c = subprocess.Popen(["rpm2cpio", str(binary)], stdout=subprocess.PIPE)
    subprocess.run(["cpio", "-idm", "--quiet"], stdin=r2c.stdout, cwd=root, check=True)
    r2c.wait()
    out = subprocess.run([str(root / "usr/bin/greet")], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "Hello from libgreet, built by Olivine (answer 42)",
        "Patched for the Olivine demo project",
    ]
