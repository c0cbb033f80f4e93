"""Per-build cgroups: a process, memory and CPU bound for every sandboxed run.

The hierarchy the host has is used: cgroup v1 (one mount per controller under
/sys/fs/cgroup/<controller>, as on these Debian machines) or v2 (the unified hierarchy of an
Enterprise Linux farm host; that path is tested against a fake cgroupfs only, and is unverified on
a real v2 host). A build's cgroup nests under the worker's own (read from /proc/self/cgroup) as
`olivine-<instance>/build-<name>`, so two instances on one host never touch each other's.

On v2 a cgroup that holds processes cannot enable controllers for its children (the "no
internal processes" rule: the write to cgroup.subtree_control fails with EBUSY). So, as a
delegated service does, the worker first moves every process of its own cgroup (itself, every
thread with it, and whatever else of the service runs there) into a leaf child,
`<own>/olivine-worker`, then enables the controllers in `<own>/cgroup.subtree_control`; the
instances' cgroups are siblings of that leaf. The real root cgroup, which is exempt from the
rule (and holds the whole host), is never emptied.

The pids and memory limits are mandatory: when they cannot be applied, `create` raises
CgroupUnavailable and the build is refused with that reason. The CPU quota is applied when the
cpu controller is there."""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from olivine.builds.users import SandboxUnavailable

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
_PERIOD_US = 100_000
_V1_REQUIRED = ("pids", "memory")
LEAF = "olivine-worker"  # v2: where the worker's processes go (see the module docstring)
_MOVE_ROUNDS = 20  # processes forked while the worker moves its own are moved in the next round


class CgroupUnavailable(SandboxUnavailable):
    pass


@dataclass(frozen=True)
class Resources:
    pids: int = 4096
    memory: int = 4 << 30  # bytes, swap included
    cpus: float | None = None  # a CPU quota in CPUs (1.5 = one and a half cores); None: none


@dataclass(frozen=True)
class Hierarchy:
    version: int  # 1 or 2
    root: Path = CGROUP_ROOT
    self_cgroup: Path = SELF_CGROUP

    def own(self) -> dict[str, str]:
        """controller -> the worker's own cgroup path in that hierarchy ("" for v2's)."""
        out: dict[str, str] = {}
        for line in self.self_cgroup.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
        return out

    def delegated(self) -> Path:
        """v2: the cgroup the worker was started in (the parent of the leaf it moves into)."""
        d = self.root / self.own().get("", "/").lstrip("/")
        return d.parent if d.name == LEAF else d

    def instance_dirs(self, instance: str) -> dict[str, Path]:
        """controller -> this instance's directory (v2: the key "")."""
        own = self.own()
        top = f"olivine-{instance}"
        if self.version == 2:
            return {"": self.delegated() / top}
        dirs = {}
        for c in (*_V1_REQUIRED, "cpu"):
            mount = self.root / c
            if (mount / "cgroup.procs").exists():
                dirs[c] = mount / own.get(c, "/").lstrip("/") / top
        return dirs


def detect(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> Hierarchy:
    if all((root / c / "cgroup.procs").exists() for c in _V1_REQUIRED):
        return Hierarchy(1, root, self_cgroup)
    if (root / "cgroup.controllers").exists():
        return Hierarchy(2, root, self_cgroup)
    raise CgroupUnavailable(
        f"no cgroup hierarchy with the pids and memory controllers under {root}: "
        "this worker cannot bound a build's processes and memory, so it refuses builds"
    )


def _put(path: Path, value: str) -> None:
    """One write to a cgroup file (one write(2): the kernel takes each as one request)."""
    with path.open("w") as f:
        f.write(value)


def _write(path: Path, value: str) -> None:
    try:
        _put(path, value)
    except OSError as e:
        raise CgroupUnavailable(f"cannot set {path} to {value}: {e.strerror}") from e


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _event(path: Path, key: str) -> int:
    for line in _read(path).splitlines():
        k, _, v = line.partition(" ")
        if k == key and v.strip().isdigit():
            return int(v)
    return 0


@dataclass(frozen=True)
class BuildCgroup:
    hierarchy: Hierarchy
    dirs: dict[str, Path]  # controller -> the build's directory (v2: "" -> one directory)
    resources: Resources

    @property
    def procs_files(self) -> list[Path]:
        """The files a process writes its pid to, to enter the cgroup (every controller)."""
        return [d / "cgroup.procs" for d in self.dirs.values()]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for f in self.procs_files:
            found.update(int(x) for x in _read(f).split() if x.isdigit())
        return sorted(found)

    def limit_hit(self) -> str | None:
        """Which limit the build ran into, as a reason; None if none."""
        res = self.resources
        if self.hierarchy.version == 2:
            d = self.dirs[""]
            pids_max = _event(d / "pids.events", "max")
            oom = _event(d / "memory.events", "oom_kill") + _event(d / "memory.events", "max")
        else:
            pids_max = _event(self.dirs["pids"] / "pids.events", "max")
            oom = _event(self.dirs["memory"] / "memory.oom_control", "oom_kill")
        if oom:
            return f"memory limit reached: cap {res.memory >> 20} MiB (the build was killed)"
        if pids_max:
            return f"process limit reached: cap {res.pids} processes (fork refused)"
        return None

    def kill(self, grace: float = 5.0) -> list[int]:
        """SIGKILL every process left in the cgroup; what survives `grace` is returned."""
        deadline = time.monotonic() + grace
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        return self.pids()

    def remove(self) -> None:
        self.kill()
        for d in self.dirs.values():
            with contextlib.suppress(FileNotFoundError):
                d.rmdir()


def create(instance: str, name: str, res: Resources, hierarchy: Hierarchy) -> BuildCgroup:
    """Make the build's cgroup and apply `res`; raises CgroupUnavailable."""
    top = hierarchy.instance_dirs(instance)
    if hierarchy.version == 1 and not all(c in top for c in _V1_REQUIRED):
        raise CgroupUnavailable("the cgroup v1 pids and memory controllers are not mounted")
    dirs = {c: d / f"build-{name}" for c, d in top.items()}
    for d in dirs.values():
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CgroupUnavailable(f"cannot create cgroup {d}: {e.strerror}") from e
    cg = BuildCgroup(hierarchy, dirs, res)
    try:
        if hierarchy.version == 2:
            _apply_v2(top[""], dirs[""], res)
        else:
            _apply_v1(dirs, res)
    except CgroupUnavailable:
        cg.remove()
        raise
    return cg


def _apply_v1(dirs: dict[str, Path], res: Resources) -> None:
    _write(dirs["pids"] / "pids.max", str(res.pids))
    mem = dirs["memory"]
    _write(mem / "memory.limit_in_bytes", str(res.memory))
    if (mem / "memory.memsw.limit_in_bytes").exists():  # swap accounting: no swap beyond it
        _write(mem / "memory.memsw.limit_in_bytes", str(res.memory))
    if res.cpus is not None and "cpu" in dirs:
        _write(dirs["cpu"] / "cpu.cfs_period_us", str(_PERIOD_US))
        _write(dirs["cpu"] / "cpu.cfs_quota_us", str(int(res.cpus * _PERIOD_US)))


def _into_leaf(own: Path) -> None:
    """Move every process of `own` into `own/LEAF` (v2), so that `own` may enable controllers
    for its children. Writing a pid to cgroup.procs moves the whole process, every thread."""
    if not (own / "cgroup.events").exists():  # the real root cgroup: exempt, never emptied
        return
    leaf = own / LEAF
    try:
        leaf.mkdir(exist_ok=True)
    except OSError as e:
        raise CgroupUnavailable(f"cannot create cgroup {leaf}: {e.strerror}") from e
    for _ in range(_MOVE_ROUNDS):
        pids = _read(own / "cgroup.procs").split()
        if not pids:
            return
        for pid in pids:
            try:
                _put(leaf / "cgroup.procs", pid)
            except ProcessLookupError:
                continue  # it exited meanwhile
            except OSError as e:
                raise CgroupUnavailable(
                    f"cannot move process {pid} from {own} into {leaf}: {e.strerror}"
                ) from e
    raise CgroupUnavailable(f"{own} keeps gaining processes: cannot move them into {leaf}")


def enable_v2(own: Path, controllers: str) -> None:
    """The worker's own cgroup `own` delegates `controllers` ("+pids +memory") to its
    children: its processes moved into the leaf first. Idempotent."""
    _into_leaf(own)
    _write(own / "cgroup.subtree_control", controllers)


def _apply_v2(instance_dir: Path, build: Path, res: Resources) -> None:
    # v2 puts controllers in a child only when its parent delegates them (subtree_control); the
    # worker's own cgroup must allow it (a delegated cgroup, e.g. systemd's Delegate=yes).
    controllers = "+pids +memory" + (" +cpu" if res.cpus is not None else "")
    enable_v2(instance_dir.parent, controllers)
    _write(instance_dir / "cgroup.subtree_control", controllers)
    _write(build / "pids.max", str(res.pids))
    _write(build / "memory.max", str(res.memory))
    _write(build / "memory.swap.max", "0")
    if res.cpus is not None:
        _write(build / "cpu.max", f"{int(res.cpus * _PERIOD_US)} {_PERIOD_US}")


def delegate(name: str, uid: int, gid: int, hierarchy: Hierarchy) -> list[Path]:
    """A cgroup `olivine-<name>` under the caller's own (every controller), given to `uid`: a
    worker of that uid started in it (its pid written to the returned files, as root) makes its
    builds' cgroups below, as a root worker does under its own (the signing worker, which runs
    as its own uid: it cannot create cgroups in root's). Its limits stay under the caller's.
    v1: the directory and its procs/tasks files; v2: cgroup.procs, cgroup.subtree_control and
    cgroup.threads too, the caller's own cgroup enabling pids and memory for it (its processes
    moved into the leaf first: `enable_v2`), and the worker started in it moves itself into its
    own leaf the same way (unverified on a real v2 host). Idempotent; raises
    CgroupUnavailable."""
    files = ("cgroup.procs", "tasks", "cgroup.subtree_control", "cgroup.threads")
    dirs = hierarchy.instance_dirs(name)
    if hierarchy.version == 1 and not all(c in dirs for c in _V1_REQUIRED):
        raise CgroupUnavailable("the cgroup v1 pids and memory controllers are not mounted")
    if hierarchy.version == 2:
        enable_v2(dirs[""].parent, "+pids +memory")
    for d in dirs.values():
        try:
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, uid, gid)
            for f in files:
                if (d / f).exists():
                    os.chown(d / f, uid, gid)
        except OSError as e:
            raise CgroupUnavailable(f"cannot delegate cgroup {d} to uid {uid}: {e.strerror}") from e
    return [d / "cgroup.procs" for d in dirs.values()]


def undelegate(procs_files: Iterable[Path]) -> None:
    """Remove delegated cgroups (`delegate`'s files) once nothing runs in them: the empty
    cgroups below first (a cgroup directory goes with rmdir; its files go with it)."""
    for d in {f.parent for f in procs_files if f.parent.is_dir()}:
        below = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for p in [*below, d]:
            with contextlib.suppress(OSError):
                p.rmdir()


def join_commands(procs_files: Iterable[Path]) -> list[str]:
    """Shell that puts the shell itself into each of these cgroups (one per controller)."""
    return [f"echo $$ > {shlex.quote(str(f))}" for f in procs_files]


def leftovers(instance: str, hierarchy: Hierarchy) -> Iterator[BuildCgroup]:
    """The build cgroups of this instance that exist now (a dead worker's)."""
    top = hierarchy.instance_dirs(instance)
    names: set[str] = set()
    for d in top.values():
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            names.update(p.name for p in d.iterdir() if p.name.startswith("build-"))
    for n in sorted(names):
        yield BuildCgroup(hierarchy, {c: d / n for c, d in top.items()}, Resources())


def remove_leftovers(
    instance: str, hierarchy: Hierarchy, alive: Callable[[str], bool] = lambda name: False
) -> int:
    """Kill and remove the build cgroups of this instance whose name `alive` does not claim
    (a dead worker's); returns how many."""
    count = 0
    for cg in leftovers(instance, hierarchy):
        if alive(next(iter(cg.dirs.values())).name):
            continue
        try:
            cg.remove()
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
        count += 1
    return count
