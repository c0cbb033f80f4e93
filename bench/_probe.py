"""Where a build spends its time, measured inside the worker (it runs in the bench's process):
named functions of the production path are wrapped to record their wall time per build. Nothing
of the production code changes; the wrappers are installed for the bench's run only."""

from __future__ import annotations

import importlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# (module, attribute, phase, index of the build_id argument or None: inherit the caller's)
PROBES: list[tuple[str, str, str, int | None]] = [
    ("olivine.workflows.build_activities", "srpm_step", "srpm activity", 3),
    ("olivine.builds.steps", "checkout_revision", "forge checkout", None),
    ("olivine.builds.steps", "build_srpm", "srpm: rpmbuild -bs in sandbox", None),
    ("olivine.workflows.build_activities", "arch_step", "arch activity", 2),
    ("olivine.workflows.build_activities", "whole_step", "one-sandbox activity", 3),
    ("olivine.builds.steps", "_facts", "import facts", None),
    ("olivine.builds.limits", "wait_for_turn", "wait for a project slot", None),
    ("olivine.builds.steps", "project_repos", "arch: export `all` repo tree", None),
    ("olivine.builds.service", "resolve_buildroot", "arch: resolve BuildRequires", None),
    ("olivine.builds.service", "unpack_rpms", "arch: unpack build root", None),
    ("olivine.builds.backends.rpmbuild", "run_sandboxed", "sandbox run", None),
    ("olivine.builds.volume", "_run", "volume: mkfs, mount", None),
    ("olivine.builds.volume", "unmount", "volume: unmount", None),
    ("olivine.builds.collect", "collect_rpms", "collect outputs", None),
    ("olivine.builds.steps", "_record_srpm", "record the SRPM", None),
    ("olivine.builds.steps", "_record_arch", "record the arch build", None),
    ("olivine.builds.backends.rpmbuild", "chown_tree", "chown build dir", None),
    ("olivine.workflows.build_activities", "finish_step", "finish: record RPMs", None),
    ("olivine.workflows.publish", "publish_project", "publish_project (Publisher)", None),
]


@dataclass
class Span:
    build_id: int
    phase: str
    start: float
    end: float
    cpu: float = 0.0  # the calling thread's own CPU seconds (not its subprocesses')


@dataclass
class Probe:
    spans: list[Span] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, fn: Callable[..., Any], phase: str, id_arg: int | None) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer = getattr(self._local, "build_id", 0)
            top = getattr(self._local, "top", "")
            bid = int(args[id_arg]) if id_arg is not None and len(args) > id_arg else outer
            self._local.build_id = bid
            self._local.top = phase if id_arg is not None else top
            name = f"{top.split()[0]}: {phase}" if phase == "sandbox run" and top else phase
            start, cpu = time.time(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                used = time.thread_time() - cpu
                with self._lock:
                    self.spans.append(Span(bid, name, start, time.time(), used))
                self._local.build_id, self._local.top = outer, top

        return wrapper

    def by_phase(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = defaultdict(list)
        for s in self.spans:
            out[s.phase].append(s.end - s.start)
        return out

    def cpu_by_phase(self) -> dict[str, float]:
        """Thread CPU seconds per phase (an outer phase includes its inner ones)."""
        out: dict[str, float] = defaultdict(float)
        for s in self.spans:
            out[s.phase] += s.cpu
        return out

    def of(self, build_id: int, phase: str) -> list[Span]:
        return [s for s in self.spans if s.build_id == build_id and s.phase == phase]


@contextmanager
def probed() -> Iterator[Probe]:
    probe = Probe()
    saved = []
    for mod_name, attr, phase, id_arg in PROBES:
        mod = importlib.import_module(mod_name)
        fn = getattr(mod, attr)
        saved.append((mod, attr, fn))
        setattr(mod, attr, probe.wrap(fn, phase, id_arg))
    try:
        yield probe
    finally:
        for mod, attr, fn in saved:
            setattr(mod, attr, fn)
