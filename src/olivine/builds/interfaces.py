"""The builder backend interface: rpmbuild in bubblewrap (default) or mock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from olivine.builds.cgroups import Resources
from olivine.builds.macros import MacroSet
from olivine.builds.volume import DiskCap

LogFn = Callable[[str], None]
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class Limits:
    time_limit: float = 4 * 3600.0
    log_limit: int = 64 * 1024 * 1024
    resources: Resources | None = None  # pids, memory, CPU (None: the operator's defaults)
    disk: DiskCap | None = field(default_factory=DiskCap)  # None: no capped build volume


@dataclass(frozen=True)
class StageResult:
    """The outcome of one rpmbuild stage: output files, or a one-line reason."""

    outputs: tuple[Path, ...] = ()
    reason: str | None = None
    duration: float = 0.0
    log_lines: int = 0
    leftover_pids: tuple[int, ...] = field(default=())
    provides: tuple[str, ...] = ()  # SRPM stage: what the binary packages will provide

    @property
    def ok(self) -> bool:
        return self.reason is None


class Backend(Protocol):
    name: str

    def build_srpm(
        self,
        spec: Path,
        sources: list[Path],
        workdir: Path,
        macros: MacroSet,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult: ...

    def build_arch(
        self,
        srpm: Path,
        arch: str,
        workdir: Path,
        macros: MacroSet,
        buildroot_usr: Path | None,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult: ...
