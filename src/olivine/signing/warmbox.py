"""A sandbox for rpmsign started before its job arrives.

Making a sandbox (a build user, the cgroup, namespaces, a dozen mounts, the seccomp filter) costs
a sign job some 25 ms before rpmsign starts: most of a +1's signing. The signer keeps one made
ahead, on an empty work directory, its shell waiting on a closed gate (its stdin): nothing has run
in it. A small job (one rpmsign batch) takes it, puts its files in the work directory and opens
the gate; the sandbox then runs that job's script and exits like any other. It serves exactly one
job, so nothing of one job's RPMs ever meets another's; the next is made `delay` seconds after the
last was taken (off the critical path of the job that took it), and one that died meanwhile is
never handed out. Bigger jobs make their own sandboxes (their cost is spread over many files).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from olivine.builds.sandbox import SANDBOX_HOME, SandboxSpec, Started, start_sandboxed
from olivine.builds.users import SandboxUnavailable

log = logging.getLogger("olivine.signer")

JOB_SCRIPT = "job.sh"  # written by the job into the work directory before the gate opens
# the gate: "go" on stdin, then the job's script; stdin closed without it: the shell exits
GATE = ["/bin/sh", "-c", f'read -r go && [ "$go" = go ] && exec /bin/sh ./{JOB_SCRIPT}']


@dataclass(frozen=True)
class Warm:
    work_dir: Path  # bound at /build; the job's files go here, then the gate opens
    started: Started


def sign_spec(work_dir: Path, command: list[str], home: str = "gnupg") -> SandboxSpec:
    """The sandbox of an rpmsign run: the work directory, the lane's GNUPGHOME."""
    return SandboxSpec(
        build_dir=work_dir,
        command=command,
        env={"GNUPGHOME": f"{SANDBOX_HOME}/{home}", "LC_ALL": "C"},
        time_limit=3600,
    )


class WarmSandbox:
    """One signer process's sandbox made ahead (its KeyStore holds it)."""

    def __init__(self, root: Path | None, delay: float = 0.5) -> None:
        self.root, self.delay = root, delay
        self._lock = threading.Lock()
        self._ready: Warm | None = None
        self._timer: threading.Timer | None = None
        self._making = False
        self._closed = False
        atexit.register(self.close)

    def take(self) -> Warm | None:
        """The sandbox made ahead, if one is ready and alive (it is the caller's now: it finishes
        or discards it, then removes its work directory); the next is made after `delay`."""
        with self._lock:
            warm, self._ready = self._ready, None
            self._schedule()
        if warm is not None and not warm.started.alive():
            _drop(warm)
            return None
        return warm

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Make one now if none is ready or being made, and wait for it (for the benchmark, so
        that nothing of it runs while a measurement does)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._make()
        deadline = time.monotonic() + timeout
        while self._making and time.monotonic() < deadline:
            time.sleep(0.005)
        return self._ready is not None

    def _schedule(self) -> None:
        if self._closed or self._timer is not None:
            return
        self._timer = threading.Timer(self.delay, self._make)
        self._timer.daemon = True
        self._timer.start()

    def _make(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed or self._ready is not None or self._making:
                return
            self._making = True
        warm = None
        try:
            warm = _start(self.root)
        except (SandboxUnavailable, OSError) as e:  # each job makes its own, and says why
            log.warning("no sandbox made ahead for signing: %s", e)
        finally:
            with self._lock:
                self._making = False
                if warm is not None and not self._closed and self._ready is None:
                    self._ready, warm = warm, None
            if warm is not None:
                _drop(warm)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            warm, self._ready = self._ready, None
            if self._timer is not None:
                self._timer.cancel()
        if warm is not None:
            _drop(warm)


def _start(root: Path | None) -> Warm:
    if root is not None:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sign-", dir=root))
    try:
        return Warm(work, start_sandboxed(sign_spec(work, GATE), gated=True))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _drop(warm: Warm) -> None:
    with contextlib.suppress(OSError):
        warm.started.discard()
    shutil.rmtree(warm.work_dir, ignore_errors=True)
