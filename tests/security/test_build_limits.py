"""A build is bounded: a `dd` stops at its volume's cap, a fork bomb at its pids limit, a memory
bomb at its memory limit (each failing the build with that reason), a build root whose RPMs
expand beyond the disk cap stops at it, and a log flood without newlines costs the worker a
bounded amount of memory (figures printed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from olivine.builds import limits as build_limits
from olivine.builds.buildroot import unpack_rpms
from olivine.builds.cgroups import Resources
from olivine.builds.interfaces import Limits
from olivine.builds.volume import DiskCap
from olivine.errors import IntegrityFailure
from olivine.projects.schema import BuildLimits

from .conftest import build, needs_root_sandbox

pytestmark = needs_root_sandbox

FILES = {"install": "mkdir -p %{buildroot}/usr/share/p", "files": "/usr/share/p"}


def test_a_build_filling_its_disk_stops_at_the_project_cap(tmp_path: Path) -> None:
    lim = build_limits.effective(BuildLimits.model_validate({"disk": "64M"})).limits
    b = build(tmp_path, "filler", "dd if=/dev/zero of=big bs=1M count=400", limits=lim, **FILES)
    assert not b.arch.ok
    assert b.arch.reason == "build directory full: cap 64 MiB", b.arch.reason
    assert "No space left on device" in b.text


def test_a_build_making_too_many_files_stops_at_the_inode_cap(tmp_path: Path) -> None:
    lim = Limits(disk=DiskCap(size_mb=128, inodes=2048))
    b = build(tmp_path, "inodes", "for i in $(seq 5000); do : > f$i; done", limits=lim, **FILES)
    assert not b.arch.ok
    assert b.arch.reason == "build directory out of inodes: cap 2048 files", b.arch.reason


def test_a_fork_bomb_is_bounded_by_the_pids_limit(tmp_path: Path) -> None:
    lim = Limits(time_limit=6, resources=Resources(pids=64, memory=1 << 30))
    bomb = "bomb() { bomb | bomb & }; while :; do bomb 2>/dev/null; done"  # never ends by itself
    t = time.monotonic()
    b = build(tmp_path, "forkbomb", bomb, limits=lim, **FILES)
    assert time.monotonic() - t < 60  # stopped at its time limit, everything killed
    assert not b.arch.ok
    assert b.arch.reason == "process limit reached: cap 64 processes (fork refused)", b.arch.reason


def test_a_memory_bomb_is_bounded_by_the_memory_limit(tmp_path: Path) -> None:
    lim = build_limits.effective(BuildLimits.model_validate({"memory": "128M"})).limits
    bomb = "python3 -c 'x = bytearray(1 << 30); print(len(x))'"
    b = build(tmp_path, "membomb", bomb, limits=lim, **FILES)
    assert not b.arch.ok
    assert b.arch.reason is not None
    assert b.arch.reason.startswith("memory limit reached: cap 128 MiB"), b.arch.reason


_FLOOD = """
import resource, sys
from pathlib import Path
from olivine.builds.sandbox import SandboxSpec, run_sandboxed
d = Path(sys.argv[1]); d.mkdir()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
count = [0]
def log(line): count[0] += len(line)
cmd = ["/bin/sh", "-c", "head -c 1073741824 /dev/zero | tr '\\\\0' x"]
res = run_sandboxed(SandboxSpec(d, cmd, log_limit=2 << 30), log)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, res.returncode, res.line_count, count[0], round(res.duration, 2))
"""


def test_a_log_flood_without_newlines_is_bounded_in_worker_memory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _FLOOD, str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    before, after, rc, lines, logged, secs = proc.stdout.split()
    grew = (int(after) - int(before)) / 1024
    print(
        f"\n1 GiB without a newline: worker peak RSS {int(before) / 1024:.0f} -> "
        f"{int(after) / 1024:.0f} MiB (+{grew:.1f} MiB), {lines} line(s), "
        f"{int(logged) >> 10} KiB logged, {secs} s"
    )
    assert rc == "0" and lines == "1"
    assert int(logged) <= 64 * 1024 + 64  # one line, cut at the line cap
    assert grew < 64, f"the worker grew by {grew:.0f} MiB reading the flood"


def _rpm(tmp: Path, name: str, install: str) -> Path:
    """A noarch RPM of the test's own, made by rpmbuild on the host (gzip -1: quick to make, a
    payload of zeros stays small)."""
    top = tmp / f"rpmbuild-{name}"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / f"{name}.spec"
    spec.write_text(
        f"Name: {name}\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n"
        f"%description\nd\n%install\nmkdir -p %{{buildroot}}/usr/share/{name}\n{install}\n"
        f"%files\n/usr/share/{name}\n"
    )
    cmd = ["rpmbuild", "-bb", "--define", f"_topdir {top}", "--define", "_binary_payload w1.gzdio"]
    subprocess.run([*cmd, str(spec)], check=True, capture_output=True)
    return next((top / "RPMS" / "noarch").glob("*.rpm"))


def _tree_use(root: Path) -> tuple[int, int]:
    """Bytes (allocated blocks) and entries the unpacked tree holds on the host."""
    used, count = 0, 0
    for d, dirs, files in os.walk(root):
        for n in (*dirs, *files):
            used += os.lstat(os.path.join(d, n)).st_blocks * 512
            count += 1
    return used, count


def test_a_build_root_expanding_beyond_the_disk_cap_stops_at_it(tmp_path: Path) -> None:
    zeros = "head -c {} /dev/zero > %{{buildroot}}/usr/share/{}/zeros"
    fits = _rpm(tmp_path, "fits", zeros.format(40 << 20, "fits"))
    big = _rpm(tmp_path, "big", zeros.format(300 << 20, "big"))
    assert big.stat().st_size < 2 << 20  # 300 MiB of payload in a small RPM
    root = tmp_path / "root"
    with pytest.raises(IntegrityFailure) as err:
        unpack_rpms([fits, big], root, max_bytes=64 << 20)
    assert err.value.message == (
        "cannot unpack the build root: build-root package big-1-1.noarch.rpm expands beyond "
        "the build's disk cap (64 MiB)"
    )
    used, _ = _tree_use(root)
    print(f"\nunpacked before the stop: {used >> 20} MiB (cap 64 MiB, the RPMs hold 340 MiB)")
    assert 40 << 20 <= used <= 64 << 20  # the first RPM went in, the second not beyond the cap


def test_a_build_root_with_too_many_files_stops_at_the_file_cap(tmp_path: Path) -> None:
    many = _rpm(tmp_path, "many", "cd %{buildroot}/usr/share/many && seq 3000 | xargs touch")
    root = tmp_path / "root"
    with pytest.raises(IntegrityFailure) as err:
        unpack_rpms([many], root, max_files=1000)
    assert err.value.message == (
        "cannot unpack the build root: build-root package many-1-1.noarch.rpm holds more "
        "files than the build's cap (1000)"
    )
    _, count = _tree_use(root)
    assert count <= 1000, count


def test_a_build_root_within_its_caps_unpacks_whole(tmp_path: Path) -> None:
    rpm = _rpm(tmp_path, "small", "seq 100 > %{buildroot}/usr/share/small/a")
    usr = unpack_rpms([rpm], tmp_path / "root", max_bytes=1 << 20, max_files=10)
    assert (usr / "share" / "small" / "a").read_text().splitlines()[-1] == "100"
