"""Per-build cgroups. The v2 path is tested against a fake cgroupfs (a directory tree): it is
unverified on a real v2 host. The v1 path runs on this host's real hierarchy when root."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from olivine.builds import cgroups
from olivine.builds.cgroups import CgroupUnavailable, Hierarchy, Resources

DEAD_PID = "4194303"  # above any pid_max: a process that exited while the worker moved it
OWN = "system.slice/olivine-worker.service"


class FakeV2:
    """A directory tree laid out like /sys/fs/cgroup (v2) with the kernel's rules that the
    worker meets, applied to its writes (cgroups._put): a pid written to a cgroup.procs moves
    that process out of every other cgroup (and /proc/self/cgroup follows the worker's own); a
    cgroup that holds processes cannot enable controllers for its children, and one that has
    enabled them cannot take processes (EBUSY; the root cgroup is exempt); a cgroup enables only
    what its parent enabled for it (ENOENT); an unknown pid is ESRCH."""

    def __init__(self, tmp: Path, own: str = OWN, procs: tuple[str, ...] = ()) -> None:
        self.root = tmp / "cgroup"
        self.self_cgroup = tmp / "self-cgroup"
        self.me = str(os.getpid())
        self.alive = {self.me, "4242"}
        self.root.mkdir()
        (self.root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
        d = self.root
        for part in [p for p in own.split("/") if p]:
            (d / "cgroup.subtree_control").write_text("cpu io memory pids")  # delegated
            d = d / part
            d.mkdir()
            (d / "cgroup.events").write_text("populated 1\nfrozen 0\n")
        self.own = d
        (d / "cgroup.procs").write_text("".join(f"{p}\n" for p in procs or (self.me,)))
        self.self_cgroup.write_text(f"0::/{own}\n")

    def hierarchy(self) -> Hierarchy:
        return cgroups.detect(self.root, self.self_cgroup)

    def procs(self, d: Path) -> list[str]:
        f = d / "cgroup.procs"
        return f.read_text().split() if f.exists() else []

    def enabled(self, d: Path) -> set[str]:
        f = d / "cgroup.subtree_control"
        return set(f.read_text().split()) if f.exists() else set()

    def available(self, d: Path) -> set[str]:
        if d == self.root:
            return set((d / "cgroup.controllers").read_text().split())
        return self.enabled(d.parent)

    def put(self, path: Path, value: str) -> None:
        d = path.parent
        if path.name == "cgroup.procs":
            if value in self.alive and d != self.root and self.enabled(d):
                raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
            for f in self.root.rglob("cgroup.procs"):
                f.write_text("".join(f"{p}\n" for p in self.procs(f.parent) if p != value))
            if value not in self.alive:  # it exited after it was listed: listed no more
                raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))
            path.write_text(f"{path.read_text() if path.exists() else ''}{value}\n")
            if value == self.me:
                self.self_cgroup.write_text(f"0::/{d.relative_to(self.root)}\n")
        elif path.name == "cgroup.subtree_control":
            if d != self.root and self.procs(d):
                raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
            want = {w[1:] for w in value.split() if w.startswith("+")}
            if not want <= self.available(d):
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
            path.write_text(" ".join(sorted(self.enabled(d) | want)))
        else:
            path.write_text(value)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeV2:
    f = FakeV2(tmp_path)
    monkeypatch.setattr(cgroups, "_put", f.put)
    return f


def test_v2_nests_under_the_worker_cgroup_and_writes_the_limits(fake: FakeV2) -> None:
    h = fake.hierarchy()
    assert h.version == 2
    res = Resources(pids=512, memory=256 << 20, cpus=1.5)
    cg = cgroups.create("inst1", "w1-b1", res, h)
    own = fake.own
    d = own / "olivine-inst1" / "build-w1-b1"
    assert cg.dirs == {"": d}
    assert cg.procs_files == [d / "cgroup.procs"]
    assert fake.enabled(own) == {"pids", "memory", "cpu"}
    assert fake.enabled(own / "olivine-inst1") == {"pids", "memory", "cpu"}
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


def test_v2_worker_moves_its_processes_into_a_leaf_before_enabling_controllers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeV2(tmp_path, procs=(str(os.getpid()), "4242", DEAD_PID))
    monkeypatch.setattr(cgroups, "_put", fake.put)
    h = fake.hierarchy()
    cg = cgroups.create("inst1", "w1-b1", Resources(), h)
    leaf = fake.own / cgroups.LEAF
    assert fake.procs(fake.own) == []  # the worker and its other process (the dead one gone)
    assert sorted(fake.procs(leaf)) == sorted([fake.me, "4242"])
    assert fake.self_cgroup.read_text() == f"0::/{OWN}/{cgroups.LEAF}\n"
    assert fake.enabled(fake.own) == {"pids", "memory"}
    # the instance's cgroups are siblings of the leaf, also once the worker is in the leaf
    assert cg.dirs[""] == fake.own / "olivine-inst1" / "build-w1-b1"
    again = cgroups.create("inst1", "w1-b2", Resources(), h)
    assert again.dirs[""] == fake.own / "olivine-inst1" / "build-w1-b2"
    assert [c.dirs[""].name for c in cgroups.leftovers("inst1", h)] == [
        "build-w1-b1",
        "build-w1-b2",
    ]
    # a sandbox's shell joins its build cgroup from the leaf
    cgroups._put(again.procs_files[0], "4242")
    assert fake.procs(leaf) == [fake.me] and again.pids() == [4242]


def test_v2_the_root_cgroup_is_never_emptied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeV2(tmp_path, own="/", procs=(str(os.getpid()), "4242"))
    monkeypatch.setattr(cgroups, "_put", fake.put)
    cg = cgroups.create("inst1", "w1-b1", Resources(), fake.hierarchy())
    assert cg.dirs[""] == fake.root / "olivine-inst1" / "build-w1-b1"
    assert sorted(fake.procs(fake.root)) == sorted([fake.me, "4242"])  # the host's stay put
    assert not (fake.root / cgroups.LEAF).exists()


def test_v2_delegation_to_a_uid_enables_the_controllers_for_it(fake: FakeV2) -> None:
    h = fake.hierarchy()
    files = cgroups.delegate("inst1-signer", os.getuid(), os.getgid(), h)
    d = fake.own / "olivine-inst1-signer"
    assert files == [d / "cgroup.procs"]
    assert fake.procs(fake.own) == [] and fake.enabled(fake.own) == {"pids", "memory"}


def test_two_instances_never_share_a_cgroup(fake: FakeV2) -> None:
    h = fake.hierarchy()
    a = cgroups.create("inst-a", "w-1", Resources(), h)
    b = cgroups.create("inst-b", "w-1", Resources(), h)
    assert a.dirs[""] != b.dirs[""]
    assert a.dirs[""].parent.name == "olivine-inst-a"
    assert [c.dirs[""] for c in cgroups.leftovers("inst-a", h)] == [a.dirs[""]]


def test_no_hierarchy_is_a_typed_refusal(tmp_path: Path) -> None:
    with pytest.raises(CgroupUnavailable, match="pids and memory controllers"):
        cgroups.detect(tmp_path, tmp_path / "self")


def test_v2_without_delegation_is_refused(fake: FakeV2) -> None:
    (fake.own.parent / "cgroup.subtree_control").write_text("cpu io")  # no pids, no memory
    with pytest.raises(CgroupUnavailable, match=r"cannot set .*cgroup.subtree_control"):
        cgroups.create("inst1", "w1-b2", Resources(), fake.hierarchy())


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
