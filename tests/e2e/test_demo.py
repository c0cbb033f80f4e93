"""`olivine up --demo` as a new user runs it: the demo imports, builds and publishes its three
packages, says so truthfully, and no build log holds an rpm error or warning."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from olivine.builds.demo import install_commands
from olivine.supervisor import free_port
from tests.e2e.test_up import cli, olivine_up

pytestmark = pytest.mark.slow


def test_demo_builds_cleanly(tmp_path: Path) -> None:
    """...and signs: as root with a data directory other uids can reach, `olivine up` runs the
    signing worker as its own uid (its sandboxes in the cgroup delegated to it), and dnf
    installs the demo program with gpgcheck=1 and repo_gpgcheck=1."""
    base = Path(tempfile.mkdtemp(prefix="olivine-e2e-", dir="/tmp"))
    os.chmod(base, 0o711)
    data = base / "olivine"
    try:
        _demo(data, tmp_path)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _demo(data: Path, tmp_path: Path) -> None:
    port = free_port()
    with olivine_up(data, port, "--demo") as (proc, lines):
        assert proc.stdout is not None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "olivine demo: done" in line or "failed" in line or not line:
                break
        out = "".join(lines)
        assert "olivine demo: build of every package succeeded" in out, out
        assert "olivine demo: done" in out
        assert "HTTP Request:" not in out  # httpx's INFO lines stay out of the messages
        tasks = json.loads(cli(data, "task", "list", "--json", "--limit", "200").stdout)["items"]
        for task in tasks:
            assert task["status"] == "succeeded", (
                task,
                cli(data, "task", "logs", str(task["id"])).stdout[-3000:],
            )
            logs = cli(data, "task", "logs", str(task["id"])).stdout
            for bad in ("error:", "warning: %changelog not in descending"):
                assert bad not in logs.lower(), (task["summary"], logs[-2000:])
        assert any(t["kind"] == "key-create" for t in tasks), [t["kind"] for t in tasks]
        signed = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects/demo/keys/signatures")
        assert len(signed.json()) >= 3, signed.text
        delegated = list(_signer_cgroups(data))
        if os.geteuid() == 0:
            assert delegated and all(d.is_dir() for d in delegated)  # the signer's own cgroup
            signer = [p for p in Path("/proc").glob("[0-9]*/cmdline") if _is_signer(p)]
            assert signer and all(pwd.getpwuid(p.parent.stat().st_uid).pw_name ==
                                  "olivine-signer" for p in signer)  # fmt: skip
        root = tmp_path / "root"
        script = install_commands(f"http://127.0.0.1:{port}", "demo", str(root))
        done = subprocess.run(["bash", "-ec", script], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "built by Olivine" in done.stdout

    # removed when `olivine up` stopped, with the build workers' cgroups of the instance
    assert not any(d.exists() for d in [*delegated, *_signer_cgroups(data, "")])


def _signer_cgroups(data: Path, suffix: str = "-signer") -> list[Path]:
    from olivine.builds import cgroups
    from olivine.builds.host import instance_id

    return list(cgroups.detect().instance_dirs(f"{instance_id(data)}{suffix}").values())


def _is_signer(cmdline: Path) -> bool:
    try:
        return b"olivine-sign" in cmdline.read_bytes() and b"setpriv" not in cmdline.read_bytes()
    except OSError:
        return False
