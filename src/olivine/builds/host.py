"""What the build machinery of this worker process shares: the instance name (cgroups), the
workspace where build directories live, the pool of build users, and the operator's caps.

`configure()` is called once by the worker at start-up (src/olivine/worker.py); code that runs
sandboxes without it (tests, one-off tools) gets the defaults. A slot's host user and the cgroup
hierarchy are host resources, so this is process-wide by nature.

The workspace is `<build_workspace>/worker-<id>`, one directory per worker process, kept locked
(flock) for the life of the process: a starting worker removes the directories, volumes and
cgroups of workers whose lock is free (dead ones), and never touches a live worker's."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from olivine.builds import cgroups, volume
from olivine.builds.cgroups import Hierarchy, Resources
from olivine.builds.solvcache import SolvCache
from olivine.builds.users import SlotPool
from olivine.builds.volume import DiskCap

if TYPE_CHECKING:
    from olivine.config import Settings


@dataclass(frozen=True)
class Caps:
    """The operator's ceilings and defaults for every build (settings OLIVINE_BUILD_*)."""

    time_max: float = 24 * 3600.0
    time_default: float = 4 * 3600.0
    concurrent_max: int = 8
    memory_max: int = 16 << 30
    memory_default: int = 4 << 30
    pids_max: int = 16384
    pids_default: int = 4096
    cpus: float | None = None
    disk: DiskCap = field(default_factory=DiskCap)
    tmp_size: int = 2 << 30  # each of the sandbox's /tmp and /var/tmp (tmpfs)


@dataclass(frozen=True)
class HostConfig:
    instance: str = "default"
    workspace: Path = Path(tempfile.gettempdir()) / "olivine-builds-default"
    slots: int = 16
    caps: Caps = field(default_factory=Caps)
    cgroup_root: Path = cgroups.CGROUP_ROOT
    self_cgroup: Path = cgroups.SELF_CGROUP


def instance_id(data_dir: Path) -> str:
    """A short stable name for the instance that owns `data_dir`."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]


class BuildHost:
    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.worker_id = uuid.uuid4().hex[:12]
        self.pool = SlotPool(config.workspace / "slots", config.slots)
        self._lock: IO[str] | None = None
        self._hierarchy: Hierarchy | None = None
        self._mutex = threading.Lock()

    @property
    def instance(self) -> str:
        return self.config.instance

    @property
    def worker_dir(self) -> Path:
        """This worker's directory of build directories (made and locked on first use)."""
        d = self.config.workspace / f"worker-{self.worker_id}"
        with self._mutex:
            if self._lock is None:
                # traversable (0711) so that the build users reach their own directories below
                self.config.workspace.mkdir(parents=True, exist_ok=True)
                os.chmod(self.config.workspace, 0o711)
                d.mkdir(mode=0o711, exist_ok=True)
                os.chmod(d, 0o711)
                self._lock = (d / ".lock").open("w")
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return d

    @property
    def solv_cache(self) -> SolvCache:
        """The repositories builds on this host resolved against, as libsolv read them: kept
        across builds and workers (keys are content digests, writes atomic), 0700, seen by
        no sandbox."""
        return SolvCache(self.config.workspace / "solv-cache")

    def hierarchy(self) -> Hierarchy:
        if self._hierarchy is None:
            self._hierarchy = cgroups.detect(self.config.cgroup_root, self.config.self_cgroup)
        return self._hierarchy

    def new_dir(self, prefix: str) -> Path:
        """A fresh directory for one build step (mode 0711), removed by the caller."""
        d = Path(tempfile.mkdtemp(prefix=prefix, dir=self.worker_dir))
        os.chmod(d, 0o711)
        return d

    def cgroup_name(self, marker: str) -> str:
        return f"{self.worker_id}-{marker[:12]}"

    def clean_leftovers(self) -> list[str]:
        """Remove what dead workers of this instance left: build directories (volumes
        unmounted first) and build cgroups. Returns what was removed, for the log."""
        removed: list[str] = []
        ws = self.config.workspace
        live = {self.worker_id}
        for d in sorted(ws.glob("worker-*")) if ws.is_dir() else []:
            wid = d.name.removeprefix("worker-")
            if wid != self.worker_id and _is_locked(d / ".lock"):
                live.add(wid)
                continue
            if wid == self.worker_id:
                continue
            for m in volume.mounts_under(d):
                volume.unmount(m)
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
        with contextlib.suppress(cgroups.CgroupUnavailable):
            n = cgroups.remove_leftovers(
                self.instance, self.hierarchy(), lambda name: name[6:18] in live
            )
            if n:
                removed.append(f"{n} build cgroups")
        return removed


def _is_locked(path: Path) -> bool:
    try:
        with path.open("r") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


_current: BuildHost | None = None
_current_lock = threading.Lock()


def configure(config: HostConfig) -> BuildHost:
    global _current
    with _current_lock:
        _current = BuildHost(config)
        return _current


def current() -> BuildHost:
    global _current
    with _current_lock:
        if _current is None:
            _current = BuildHost(HostConfig())
        return _current


def default_resources() -> Resources:
    caps = current().config.caps
    return Resources(pids=caps.pids_default, memory=caps.memory_default, cpus=caps.cpus)


def config_from_settings(settings: Settings) -> HostConfig:
    """The build host configuration the worker's settings describe."""
    inst = instance_id(settings.data_dir)
    workspace = settings.build_workspace or (Path(tempfile.gettempdir()) / f"olivine-builds-{inst}")
    caps = Caps(
        time_max=settings.build_time_max,
        time_default=min(settings.build_time_default, settings.build_time_max),
        concurrent_max=settings.build_concurrent_max,
        memory_max=settings.build_memory_max,
        memory_default=min(settings.build_memory_default, settings.build_memory_max),
        pids_max=settings.build_pids_max,
        pids_default=min(settings.build_pids_default, settings.build_pids_max),
        cpus=settings.build_cpus,
        disk=DiskCap(settings.build_disk_max >> 20, settings.build_inodes),
        tmp_size=settings.build_tmp_size,
    )
    return HostConfig(instance=inst, workspace=workspace, slots=settings.build_slots, caps=caps)
