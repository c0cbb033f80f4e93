"""A build that tries to leave its sandbox: remount /usr read-write, write /usr, /etc and
/proc/sys, read the data directory, read the worker's environment through /proc/1/environ, run as
host root. It gets none of it."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from olivine.builds.sandbox import SAFE_PATH, SandboxSpec, run_sandboxed

from .conftest import build, needs_root_sandbox

pytestmark = needs_root_sandbox

SECRET = "hunter2-" + uuid.uuid4().hex[:8]


# keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1) and perf_event_open(NULL...):
# exit 0 when the call is not refused with EPERM
_KEYCTL = (
    "import ctypes, os, sys; c = ctypes.CDLL(None, use_errno=True); "
    "r = c.syscall(250, 0, -3, 1); sys.exit(r < 0 and ctypes.get_errno() == 1)"
)
_PERF = (
    "import ctypes, sys; c = ctypes.CDLL(None, use_errno=True); "
    "r = c.syscall(298, 0, 0, -1, -1, 0); sys.exit(r < 0 and ctypes.get_errno() == 1)"
)


# io_uring_setup(8, &params) (425 on x86_64 and i386): an io_uring's operations are not system
# calls, so the filter could not see what it does; exit 0 when not refused with EPERM
_IO_URING = (
    "import ctypes, sys; c = ctypes.CDLL(None, use_errno=True); "
    "r = c.syscall(425, 8, ctypes.create_string_buffer(120)); "
    "sys.exit(r < 0 and ctypes.get_errno() == 1)"
)


def _probe(what: str, cmd: str) -> str:
    yes, no = f"echo 'PROBE {what}: REACHED'", f"echo 'PROBE {what}: blocked'"
    return f"if {cmd} 2>/dev/null; then {yes}; else {no}; fi"


def _probes(log_text: str) -> dict[str, str]:
    return dict(re.findall(r"^PROBE (\S+): (\S+)$", log_text, re.M))


def test_build_cannot_remount_write_the_host_or_read_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:10]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "admin-token").write_text(SECRET)
    monkeypatch.setenv("OLIVINE_DATABASE_URL", f"postgresql://olivine:{SECRET}@db/olivine")
    monkeypatch.setenv("OLIVINE_DATA_DIR", str(data_dir))
    host_usr = Path(f"/usr/olivine-probe-{tag}")
    host_etc = Path(f"/etc/olivine-probe-{tag}")
    script = "\n".join(
        [
            _probe("remount-usr", "mount -o remount,bind,rw /usr"),
            _probe("remount-ldso", "mount -o remount,bind,rw /etc/ld.so.conf.d"),
            _probe("write-usr", f"touch /usr/olivine-probe-{tag}"),
            _probe("write-etc", f"touch /etc/olivine-probe-{tag}"),
            _probe("write-ldso", f"touch /etc/ld.so.conf.d/olivine-probe-{tag}"),
            _probe("write-proc-sys", "echo olivine > /proc/sys/kernel/hostname"),
            _probe("read-data-dir", f"cat {data_dir}/admin-token"),
            _probe("new-userns", "unshare --user --map-root-user true"),
            _probe("new-mountns", "unshare --mount true"),
            # allowed to any unprivileged process, refused by the seccomp filter (EPERM)
            _probe("keyctl", f"python3 -c '{_KEYCTL}'"),
            _probe("perf-event-open", f"python3 -c '{_PERF}'"),
            _probe("io-uring-setup", f"python3 -c '{_IO_URING}'"),
            "echo ENV1 $(tr '\\0' ' ' < /proc/1/environ)",
            "echo ENVSELF $(tr '\\0' ' ' < /proc/self/environ)",
            "echo UIDMAP $(cat /proc/self/uid_map)",
            "echo UID $(id -u)",
            "grep CapEff /proc/self/status",
        ]
    )
    try:
        b = build(
            tmp_path,
            "escape",
            script,
            install="mkdir -p %{buildroot}/usr/share/escape",
            files="/usr/share/escape",
        )
    finally:
        planted = (host_usr, host_etc, Path(f"/etc/ld.so.conf.d/olivine-probe-{tag}"))
        leaked = [p for p in planted if p.exists()]
        for p in leaked:
            p.unlink()
        assert not leaked, f"the build wrote {leaked} on the host"
    assert b.arch.ok, b.arch.reason
    probes = _probes(b.text)
    assert set(probes) == {
        "remount-usr",
        "remount-ldso",
        "write-usr",
        "write-etc",
        "write-ldso",
        "write-proc-sys",
        "read-data-dir",
        "new-userns",
        "new-mountns",
        "keyctl",
        "perf-event-open",
        "io-uring-setup",
    }, b.text
    assert all(v == "blocked" for v in probes.values()), probes
    env1 = next(line for line in b.log.lines if line.startswith("ENV1 "))
    assert env1.split()[1:] == [f"PATH={SAFE_PATH}", "PWD=/"], env1  # nothing of the worker's
    assert SECRET not in b.text  # neither the data dir nor the environment of PID 1 or its own
    assert "CapEff:\t0000000000000000" in b.text
    uid = int(re.search(r"^UID (\d+)$", b.text, re.M).group(1))  # type: ignore[union-attr]
    assert uid != 0
    uid_map = re.search(r"^UIDMAP (\d+) (\d+) (\d+)$", b.text, re.M)
    assert uid_map is not None and int(uid_map.group(1)) == uid != 0, b.text


@pytest.mark.skipif(platform.machine() != "x86_64", reason="syscall number 425 is x86's")
def test_io_uring_is_refused_in_the_sandbox_though_the_host_allows_it(tmp_path: Path) -> None:
    # the control: on this host an ordinary process may set up an io_uring (else the probe
    # below would pass for another reason, such as kernel.io_uring_disabled)
    assert subprocess.run([sys.executable, "-c", _IO_URING]).returncode == 0  # not refused
    (tmp_path / "b").mkdir()
    lines: list[str] = []
    cmd = ["/bin/sh", "-c", _probe("io-uring-setup", f"python3 -c '{_IO_URING}'")]
    res = run_sandboxed(SandboxSpec(tmp_path / "b", cmd), lines.append)
    assert res.ok, lines
    assert _probes("\n".join(lines)) == {"io-uring-setup": "blocked"}


def test_the_build_process_is_not_host_root(tmp_path: Path) -> None:
    """Seen from the host: every process of the sandbox runs as the build slot's own user."""
    tag = f"{uuid.uuid4().int % 10**6}.{os.getpid()}"
    build_dir = tmp_path / "b"
    build_dir.mkdir()
    seen: dict[int, list[int]] = {}
    lines: list[str] = []

    def check() -> bool:
        if "ready" not in lines:
            return False
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if tag.encode() in (d / "cmdline").read_bytes():
                        status = (d / "status").read_text()
                        uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1)  # type: ignore[union-attr]
                        seen[int(d.name)] = [int(x) for x in uids.split()]
                except OSError:
                    continue
        return True

    spec = SandboxSpec(build_dir, ["/bin/bash", "-c", f"sleep {tag} & echo ready; wait"])
    t = time.monotonic()
    res = run_sandboxed(spec, lines.append, cancelled=check)
    assert res.cancelled and time.monotonic() - t < 30
    assert seen, "the sandboxed sleep was not found on the host"
    for pid, uids in seen.items():
        assert 0 not in uids, f"pid {pid} runs with host uids {uids}"
