"""CPU seconds spent by this process, its reaped children and its live descendants (a Temporal
dev server), and by the whole machine: where a CPU-bound run's time goes, whatever the load.

    before = cpu_now(); ...; print(cpu_now() - before)
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    own: float  # this process (every thread: API, workflows, activities)
    children: float  # reaped subprocesses (rpmbuild, bwrap, mkfs, git ...)
    live: float  # descendants still running (the Temporal server)
    machine: float  # every process on the machine (user + system of all CPUs)

    def __sub__(self, o: Cpu) -> Cpu:
        return Cpu(
            self.own - o.own,
            self.children - o.children,
            self.live - o.live,
            self.machine - o.machine,
        )

    @property
    def ours(self) -> float:
        return self.own + self.children + self.live

    def text(self, per: int = 1) -> str:
        return (
            f"{self.ours / per:.2f} CPU-s (this process {self.own / per:.2f}, subprocesses "
            f"{self.children / per:.2f}, live children {self.live / per:.2f}); "
            f"machine {self.machine / per:.2f}"
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
    )
