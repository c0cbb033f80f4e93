"""Per-build cgroups. The v2 path is tested against a fake cgroupfs (a directory tree): it is
unverified on a real v2 host. The v1 path runs on this host's real hierarchy when root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from olivine.builds import cgroups
from olivine.builds.cgroups import CgroupUnavailable, Hierarchy, Resources


def _fake_v2(tmp: Path) -> Hierarchy:
    root = tmp / "cgroup"
    own = root / "system.slice" / "olivine-worker.service"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    self_cg = tmp / "self-cgroup"
    self_cg.write_text("0::/system.slice/olivine-worker.service\n")
    return cgroups.detect(root, self_cg)


def test_v2_nests_under_the_worker_cgroup_and_writes_the_limits(tmp_path: Path) -> None:
    h = _fake_v2(tmp_path)
    assert h.version == 2
    res = Resources(pids=512, memory=256 << 20, cpus=1.5)
    cg = cgroups.create("inst1", "w1-b1", res, h)
    own = tmp_path / "cgroup" / "system.slice" / "olivine-worker.service"
    d = own / "olivine-inst1" / "build-w1-b1"
    assert cg.dirs == {"": d}
    assert cg.procs_files == [d / "cgroup.procs"]
    assert (own / "cgroup.subtree_control").read_text() == "+pids +memory +cpu"
    assert (own / "olivine-inst1" / "cgroup.subtree_control").read_text() == "+pids +memory +cpu"
    assert (d / "pids.max").read_text() == "512"
    assert (d / "memory.max").read_text() == str(256 << 20)
    assert (d / "memory.swap.max").read_text() == "0"
    assert (d / "cpu.max").read_text() == "150000 100000"
    assert cg.limit_hit() is None
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert cg.limit_hit() == "memory limit reached: cap 256 MiB (the build was killed)"
    (d / "memory.events").write_text("oom_kill 0\n")
    (d / "pids.events").write_text("max 7\n")
    assert cg.limit_hit() == "process limit reached: cap 512 processes (fork refused)"


def test_two_instances_never_share_a_cgroup(tmp_path: Path) -> None:
    h = _fake_v2(tmp_path)
    a = cgroups.create("inst-a", "w-1", Resources(), h)
    b = cgroups.create("inst-b", "w-1", Resources(), h)
    assert a.dirs[""] != b.dirs[""]
    assert a.dirs[""].parent.name == "olivine-inst-a"
    assert [c.dirs[""] for c in cgroups.leftovers("inst-a", h)] == [a.dirs[""]]


def test_no_hierarchy_is_a_typed_refusal(tmp_path: Path) -> None:
    with pytest.raises(CgroupUnavailable, match="pids and memory controllers"):
        cgroups.detect(tmp_path, tmp_path / "self")


def test_v2_without_delegation_is_refused(tmp_path: Path) -> None:
    h = _fake_v2(tmp_path)
    own = tmp_path / "cgroup" / "system.slice" / "olivine-worker.service"
    (own / "cgroup.subtree_control").mkdir()  # writing it fails, as EBUSY would on a real host
    with pytest.raises(CgroupUnavailable, match=r"cannot set .*cgroup.subtree_control"):
        cgroups.create("inst1", "w1-b2", Resources(), h)


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup/pids/cgroup.procs").exists(),
    reason="needs root and cgroup v1 pids/memory",
)
def test_v1_on_this_host(tmp_path: Path) -> None:
    h = cgroups.detect()
    assert h.version == 1
    cg = cgroups.create("unit-test", f"{os.getpid()}", Resources(pids=99, memory=300 << 20), h)
    try:
        own = h.own()["memory"].lstrip("/")
        mem = Path("/sys/fs/cgroup/memory") / own / "olivine-unit-test" / f"build-{os.getpid()}"
        assert cg.dirs["memory"] == mem
        assert (mem / "memory.limit_in_bytes").read_text().strip() == str(300 << 20)
        assert (cg.dirs["pids"] / "pids.max").read_text().strip() == "99"
    finally:
        cg.remove()
    assert not any(d.exists() for d in cg.dirs.values())
