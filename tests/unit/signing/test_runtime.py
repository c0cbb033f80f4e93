"""The signer's uid and KEK: other uids (the API's, a build's) get EACCES; a build sandbox does
not even see the key store."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from olivine.builds.sandbox import SandboxSpec, run_sandboxed
from olivine.errors import ConfigError
from olivine.signing.runtime import (
    API_USER,
    SIGNER_USER,
    api_command,
    prepare_api,
    prepare_signer,
    signer_command,
    signer_env,
)
from olivine.signing.sealing import load_kek

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="a separate uid needs root")


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A directory other uids can pass through (pytest's own tmp is 0700, root only): the
    signer gets its own uid only where it can reach the data directory."""
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _as_nobody(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd],
        capture_output=True,
        text=True,
    )


@root_only
def test_the_kek_belongs_to_the_signer_and_nobody_else_reads_it(open_tmp: Path) -> None:
    tmp_path = open_tmp
    data = tmp_path / "data"
    data.mkdir()
    rt = prepare_signer(data, state_root=tmp_path / "signer")
    st = rt.kek_file.stat()
    assert rt.separate_uid and st.st_uid == pwd.getpwnam(SIGNER_USER).pw_uid
    assert st.st_mode & 0o777 == 0o600 and st.st_size == 32
    assert data not in rt.kek_file.parents
    assert prepare_signer(data, state_root=tmp_path / "signer").kek_file.read_bytes() == (
        rt.kek_file.read_bytes()
    )  # made once
    # the API's uid, as `olivine up` (root) runs the API: its command prefix, its groups
    os.chmod(tmp_path, 0o755)
    api = prepare_api(data, 8080)
    assert api.separate_uid and pwd.getpwuid(api.uid).pw_name == API_USER
    probe = "import sys; open(sys.argv[1], 'rb')"
    as_api = [*api_command(api)[:-3], sys.executable, "-c", probe, str(rt.kek_file)]
    got = subprocess.run(as_api, capture_output=True, text=True)
    assert got.returncode != 0 and "[Errno 13] Permission denied" in got.stderr
    # and any other uid (a build's) too
    denied = _as_nobody("cat", str(rt.kek_file))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    py = _as_nobody(sys.executable, "-c", probe, str(rt.kek_file))
    assert "PermissionError" in py.stderr and "Errno 13" in py.stderr
    # and this process (root, not the signer's uid) refuses to use it
    with pytest.raises(ConfigError, match="not by this signer's uid"):
        load_kek(rt.kek_file, data)


@root_only
def test_the_signer_runs_as_its_uid_with_the_kek_path_only(open_tmp: Path) -> None:
    tmp_path = open_tmp
    rt = prepare_signer(tmp_path / "data", state_root=tmp_path / "signer")
    cmd = signer_command(rt)
    assert cmd[0] == "setpriv" and f"--reuid={rt.uid}" in cmd
    assert cmd[-3:] == ["worker", "--queue", "olivine-sign"]
    env = signer_env(rt, {"PATH": "/usr/bin", "OLIVINE_DATA_DIR": "/d"})
    assert env["OLIVINE_SIGNING_KEK_FILE"] == str(rt.kek_file)
    assert rt.kek_file.read_bytes().hex() not in repr(env)


def test_a_build_sandbox_cannot_read_the_key_store(tmp_path: Path) -> None:
    kek = tmp_path / "signer" / "kek"
    kek.parent.mkdir()
    kek.write_bytes(b"k" * 32)
    build = tmp_path / "build"
    build.mkdir()
    lines: list[str] = []
    res = run_sandboxed(
        SandboxSpec(build, ["/bin/sh", "-c", f"cat {kek}; ls /var/lib"]), lines.append
    )
    assert res.returncode != 0
    assert any("No such file" in ln for ln in lines)
    assert not any("k" * 32 in ln for ln in lines)


@root_only
def test_the_signer_uid_can_use_the_embedded_database_and_store(open_tmp: Path) -> None:
    import sqlite3

    from olivine.signing.runtime import grant_data_access

    tmp_path = open_tmp
    data = tmp_path / "data"
    (data / "objects" / "ab").mkdir(parents=True)
    sqlite3.connect(data / "olivine.db").execute("create table t (x int)").connection.commit()
    rt = prepare_signer(data, state_root=tmp_path / "signer")
    grant_data_access(data, rt)
    os.chmod(tmp_path, 0o755)
    script = (
        "import sqlite3, sys; d = sys.argv[1]; c = sqlite3.connect(d + '/olivine.db'); "
        "c.execute('insert into t values (1)'); c.commit(); "
        "open(d + '/objects/ab/new', 'wb').write(b'x')"
    )
    done = subprocess.run(
        [*signer_command(rt)[:5], sys.executable, "-c", script, str(data)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (data / "objects" / "ab" / "new").read_bytes() == b"x"


@root_only
def test_a_root_api_is_said_when_no_separate_uid_can_serve(tmp_path: Path) -> None:
    """pytest's tmp is closed to other uids: the API keeps root, and says why."""
    api = prepare_api(tmp_path / "data", 8080)
    assert not api.separate_uid and api.uid == 0 and "closed to other uids" in api.reason


_SANDBOX_AS_SIGNER = """
import sys
from pathlib import Path
from olivine.builds import host
from olivine.builds.sandbox import SandboxSpec, run_sandboxed
host.configure(host.HostConfig(instance="unit-signer", workspace=Path(sys.argv[1]) / "work"))
build = host.current().new_dir("sign-")
res = run_sandboxed(SandboxSpec(build, ["/bin/sh", "-c", "id -u; echo ran"]), print)
print("rc", res.returncode)
"""


@root_only
@pytest.mark.skipif(
    not Path("/sys/fs/cgroup/pids/cgroup.procs").exists(), reason="needs cgroup v1 pids/memory"
)
def test_the_signer_uid_runs_sandboxes_in_the_cgroup_delegated_to_it(open_tmp: Path) -> None:
    """Root's cgroups are closed to the signer's uid (a sandbox there fails: EACCES): the
    supervisor delegates one to it, and the signer, started in it, bounds its sandboxes below.
    Its workspace is its own state directory, not the build workers'."""
    from olivine.signing.runtime import delegate_cgroup

    data = open_tmp / "data"
    data.mkdir()
    rt = prepare_signer(data, state_root=open_tmp / "signer")
    env = signer_env(rt, {"PATH": "/usr/bin:/bin"})
    state = rt.kek_file.parent
    assert env["OLIVINE_BUILD_WORKSPACE"] == str(state / "work")
    run = [sys.executable, "-c", _SANDBOX_AS_SIGNER, str(state)]
    plain = subprocess.run([*signer_command(rt)[:5], *run], capture_output=True, text=True)
    assert "CgroupUnavailable" in plain.stderr and "Permission denied" in plain.stderr
    procs = delegate_cgroup(data, rt)
    try:
        assert procs and all(p.stat().st_uid == rt.uid for p in procs)
        cmd = signer_command(rt, procs)
        assert cmd[:2] == ["/bin/sh", "-ec"] and cmd[-3:] == ["worker", "--queue", "olivine-sign"]
        joined = [*cmd[:4], *cmd[4:9], *run]  # the join and setpriv, then the sandbox run
        done = subprocess.run(joined, capture_output=True, text=True, cwd="/")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split()[-3:] == ["ran", "rc", "0"], done.stdout
        assert done.stdout.split()[-4] != "0"  # the sandbox is the signer's uid, not root
    finally:
        for p in procs:
            shutil.rmtree(p.parent, ignore_errors=True)  # cgroupfs: rmdir of empty cgroups
            for d in sorted(p.parent.glob("**/"), reverse=True):
                with contextlib.suppress(OSError):
                    d.rmdir()
