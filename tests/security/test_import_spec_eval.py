"""An upstream spec's `%(...)` shell and `%{lua:...}` code runs only in the build sandbox: at
import (NEVR evaluation), in rpmautospec's processing (dist-git-flat), in a patch directive's
spec edit and on the SRPM path, it leaves nothing on the host and reads nothing of it."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from olivine.builds import host
from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.errors import SpecError
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import (
    TEST_POLICY,
    commit,
    init_repo,
    make_project,
    spec_text,
)

SECRET = "s3cr3t-admin-token-" + uuid.uuid4().hex


@pytest.fixture
def marks(tmp_path: Path) -> dict[str, Path]:
    """Files an attack would create on the host, and a secret it would read."""
    token = tmp_path / "data" / "admin-token"
    token.parent.mkdir()
    token.write_text(SECRET)
    names = ("shell", "lua-exec", "lua-io", "leak")
    out = {n: Path("/tmp") / f"olivine-pwned-{n}-{uuid.uuid4().hex}" for n in names}
    out["token"] = token
    yield out
    for p in out.values():
        if p.parent == Path("/tmp"):
            p.unlink(missing_ok=True)


def evil_spec(m: dict[str, Path], name: str = "hello", release: str = "1%{?dist}") -> str:
    """Each payload aims at its mark unless $PWN / $TOKEN point it away (only when this test
    itself makes an SRPM of the spec: rpmbuild -bs evaluates it on the host)."""
    return f"""\
%global pwn_shell %(touch ${{PWN:-{m["shell"]}}}; echo ok)
%global pwn_lua %{{lua: os.execute("touch " .. (os.getenv("PWN") or "{m["lua-exec"]}"))}}
%{{lua: local f = io.open(os.getenv("PWN") or "{m["lua-io"]}", "w"); if f then f:close() end}}
Name: {name}
Version: 1.0%(cat ${{TOKEN:-{m["token"]}}} 2>/dev/null | tee ${{PWN:-{m["leak"]}}} | tr -dc a-z)
Release: {release}
Summary: %{{pwn_shell}} %{{pwn_lua}}
License: MIT
BuildArch: noarch
%description
d
%prep
%files
%changelog
* Mon Jan 01 2024 Up Stream <up@example.org> - 1.0-1
- first
"""


def assert_no_trace(m: dict[str, Path], *texts: str) -> None:
    for n in ("shell", "lua-exec", "lua-io", "leak"):
        assert not m[n].exists(), f"the spec's {n} payload ran on the host: {m[n]}"
    for t in texts:
        assert SECRET not in t


def test_distgit_spec_shell_and_lua_leave_no_trace(
    tmp_path: Path, db: Database, fs_store: FsStore, marks: dict[str, Path]
) -> None:
    up = init_repo(tmp_path / "up" / "hello.git", "c9")
    commit(up, {"SPECS/hello.spec": evil_spec(marks)}, tag="imports/c9/hello-1.0-1.el9")
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
    )
    logs: list[str] = []
    res = run_import(
        db,
        fs_store,
        LocalForge(tmp_path / "forge"),
        project,
        "hello",
        log=logs.append,
        policy=TEST_POLICY,
    )
    # the spec was evaluated (in the sandbox, where the token is not there to read)
    assert res.nevr == "hello-1.0-1.el9"
    assert_no_trace(marks, res.nevr, *logs)


def test_flat_rpmautospec_runs_in_the_sandbox(
    tmp_path: Path, db: Database, fs_store: FsStore, marks: dict[str, Path]
) -> None:
    up = init_repo(tmp_path / "up" / "hello.git", "c9")
    commit(up, {"hello.spec": evil_spec(marks, release="%autorelease")}, date=1_700_000_000)
    commit(up, {"README": "again\n"}, date=1_700_000_100)
    project = make_project(
        db,
        upstream={
            "kind": "dist-git-flat",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
    )
    res = run_import(
        db, fs_store, LocalForge(tmp_path / "forge"), project, "hello", policy=TEST_POLICY
    )
    assert res.release.startswith("2") and res.release.endswith(".el9")  # rpmautospec did run
    assert_no_trace(marks, res.nevr)


def test_patch_directive_spec_edit_runs_in_the_sandbox(
    tmp_path: Path, db: Database, fs_store: FsStore, marks: dict[str, Path]
) -> None:
    up = init_repo(tmp_path / "up" / "hello.git", "c9")
    commit(up, {"SPECS/hello.spec": evil_spec(marks)}, tag="imports/c9/hello-1.0-1.el9")
    patch = init_repo(tmp_path / "patch" / "hello.git", "main")
    commit(
        patch,
        {
            "PATCHES/spec.yaml": "spec:\n  search_and_replace:\n"
            "    - {field: License, find: MIT, replace: MIT AND BSD}\n"
            '    - {field: Release, find: "%{?dist}", replace: ".olv%{?dist}"}\n'
        },
    )
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
        patches={"url": (tmp_path / "patch").as_uri() + "/{name}.git", "branch": "main"},
    )
    forge = LocalForge(tmp_path / "forge")
    res = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert res.release == "1.olv.el9"
    spec = forge.read_file("el9", "hello", res.forge_commit, "SPECS/hello.spec").decode()
    assert "License: MIT AND BSD" in spec and "%{lua:" in spec  # edited, payload left as text
    assert_no_trace(marks, spec)


def test_uploaded_srpm_spec_is_evaluated_in_the_sandbox(
    tmp_path: Path, db: Database, fs_store: FsStore, marks: dict[str, Path]
) -> None:
    top = tmp_path / "rpmbuild"
    (top / "SOURCES").mkdir(parents=True)
    spec = top / "hello.spec"
    spec.write_text(evil_spec(marks))
    env = {**os.environ, "PWN": str(tmp_path / "decoy"), "TOKEN": "/nonexistent"}
    cmd = ["rpmbuild", "-bs", "--define", f"_topdir {top}", "--define", "dist .el9", str(spec)]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    assert (tmp_path / "decoy").exists()  # the payload is live: rpm on the host runs it
    srpm = next((top / "SRPMS").glob("*.src.rpm"))
    project = make_project(db, upstream={"kind": "srpm", "url": (tmp_path / "none").as_uri()})
    res = run_import(
        db,
        fs_store,
        LocalForge(tmp_path / "forge"),
        project,
        "hello",
        srpm=srpm,
        policy=TEST_POLICY,
    )
    assert res.nevr == "hello-1.0-1.el9"
    assert_no_trace(marks, res.nevr)


class _DiskPeak:
    """The most the disk holding the build workspace grew by while it ran (sampled)."""

    def __init__(self) -> None:
        self.path = host.current().config.workspace
        self.path.mkdir(parents=True, exist_ok=True)
        self.start = self._used()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _used(self) -> int:
        st = os.statvfs(self.path)
        return (st.f_blocks - st.f_bfree) * st.f_frsize

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._used() - self.start)

    def __enter__(self) -> _DiskPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.skipif(os.geteuid() != 0, reason="the evaluation volume needs root (loop mount)")
def test_a_spec_filling_the_disk_at_import_stops_at_the_evaluation_cap(
    tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    # %global expands its body at once; the spec parses whatever the dd did
    fill = "%(dd if=/dev/zero of=/build/fill bs=1M count=4096 >/dev/null 2>&1; echo done)"
    body = f"%global fill {fill}\n" + spec_text("hello", sources=())
    up = init_repo(tmp_path / "up" / "hello.git", "c9")
    commit(up, {"SPECS/hello.spec": body}, tag="imports/c9/hello-1.0-1.el9")
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
    )
    with _DiskPeak() as disk, pytest.raises(SpecError) as err:
        run_import(
            db, fs_store, LocalForge(tmp_path / "forge"), project, "hello", policy=TEST_POLICY
        )
    assert "filled its evaluation volume in the sandbox (1024 MiB" in err.value.message
    # the dd wrote up to the cap (so the test measures something), and not beyond it
    print(f"disk growth during the import: peak {disk.peak >> 20} MiB (the spec wrote 4096)")
    assert 900 << 20 < disk.peak < (1024 + 64 + 256) << 20, disk.peak >> 20
