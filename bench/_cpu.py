"""CPU seconds spent by this process, its reaped children and its live descendants (a Temporal
dev server), by all of them with the sandboxed builds (a cgroup v1 cpuacct group of the bench's
own), and by the whole machine: where a CPU-bound run's time goes, whatever the load.

    own_group()  # once, first: later children and sandboxes inherit the group
    before = cpu_now(); ...; print(cpu_now() - before)

(RUSAGE_CHILDREN misses what runs in bubblewrap: its processes are not reaped into ours.)
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def own_group() -> Path | None:
    """Move this process into a cpuacct group of its own (as root, cgroup v1); None if not."""
    group = _CPUACCT / f"olivine-bench-{os.getpid()}"
    try:
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return None
    return group


def _group_cpu() -> float:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(",") and path != "/":
            try:
                return int((_CPUACCT / path.lstrip("/") / "cpuacct.usage").read_text()) / 1e9
            except OSError:
                return 0.0
    return 0.0


@dataclass(frozen=True)
class Cpu:
    own: float  # this process (every thread: API, workflows, activities)
    children: float  # reaped subprocesses (rpmbuild, bwrap, mkfs, git ...)
    live: float  # descendants still running (the Temporal server)
    machine: float  # every process on the machine (user + system of all CPUs)
    group: float = 0.0  # everything of the bench's cpuacct group, sandboxes included (own_group)

    def __sub__(self, o: Cpu) -> Cpu:
        return Cpu(
            self.own - o.own,
            self.children - o.children,
            self.live - o.live,
            self.machine - o.machine,
            self.group - o.group,
        )

    @property
    def ours(self) -> float:
        return self.own + self.children + self.live

    def text(self, per: int = 1) -> str:
        return (
            f"{self.ours / per:.2f} CPU-s (this process {self.own / per:.2f}, subprocesses "
            f"{self.children / per:.2f}, live children {self.live / per:.2f}); with the "
            f"sandboxes {self.group / per:.2f}; machine {self.machine / per:.2f}"
        )


def _stat(pid: str) -> tuple[int, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK  # ppid, utime + stime


def _live_descendants() -> float:
    stats = {p: s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(p)) is not None}
    mine, total, frontier = {os.getpid()}, 0.0, True
    while frontier:
        frontier = False
        for pid, (ppid, cpu) in stats.items():
            if ppid in mine and int(pid) not in mine:
                mine.add(int(pid))
                total += cpu
                frontier = True
    return total


def _machine() -> float:
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in first[:7])
    return (user + nice + system + irq + softirq) / _TICK


def cpu_now() -> Cpu:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Cpu(
        me.ru_utime + me.ru_stime,
        kids.ru_utime + kids.ru_stime,
        _live_descendants(),
        _machine(),
        _group_cpu(),
    )
