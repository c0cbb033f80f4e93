"""The host users builds run as: one dedicated non-root system user per build slot
(`olivine-build-N`), so a build never holds host root, and two builds at once never share a uid.

A slot is leased with an exclusive `flock` on `<lock_dir>/slot-N.lock`: the lock is held for the
whole build (prepare, run, collect) and released by the kernel if the worker dies, so slots are
shared safely by every worker process on the host."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import ConfigError

USER_PREFIX = "olivine-build-"


class SandboxUnavailable(ConfigError):
    """This worker cannot run a build with the containment Olivine requires (no build user,
    no cgroup limits): it refuses builds with this reason rather than run them weaker."""


@dataclass(frozen=True)
class BuildUser:
    name: str
    uid: int
    gid: int


def user_name(slot: int) -> str:
    return f"{USER_PREFIX}{slot}"


def _lookup(name: str) -> BuildUser | None:
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    return BuildUser(name, pw.pw_uid, pw.pw_gid)


def ensure_user(slot: int) -> BuildUser:
    """The user of `slot`, created (idempotently) when missing."""
    name = user_name(slot)
    found = _lookup(name)
    if found is not None:
        if found.uid == 0 or found.gid == 0:
            raise SandboxUnavailable(f"build user {name} has uid or gid 0: refusing to use it")
        return found
    proc = subprocess.run(
        ["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-d", "/nonexistent", name],
        capture_output=True,
        text=True,
    )
    found = _lookup(name)
    if found is None:  # exit 9 (exists) from a concurrent useradd is fine; anything else is not
        raise SandboxUnavailable(
            f"cannot create build user {name}: {proc.stderr.strip() or proc.returncode}"
        )
    return found


def ensure_users(count: int) -> list[BuildUser]:
    return [ensure_user(i) for i in range(count)]


class SlotPool:
    """`count` build slots shared by every worker on the host through lock files."""

    def __init__(self, lock_dir: Path, count: int) -> None:
        self.lock_dir, self.count = lock_dir, count
        self._mutex = threading.Lock()
        self._held: set[int] = set()

    @contextlib.contextmanager
    def lease(self) -> Iterator[BuildUser]:
        slot, fd = self._acquire()
        try:
            yield ensure_user(slot)
        finally:
            with self._mutex:
                self._held.discard(slot)
            os.close(fd)

    def _acquire(self) -> tuple[int, int]:
        self.lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._mutex:
            for slot in range(self.count):
                if slot in self._held:  # flock is per open file: guard this process's own
                    continue
                fd = os.open(self.lock_dir / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._held.add(slot)
                return slot, fd
        raise SandboxUnavailable(
            f"all {self.count} build slots of this host are busy "
            "(raise OLIVINE_BUILD_SLOTS or run fewer builds at once)"
        )
