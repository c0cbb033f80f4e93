"""The signer's warm gpg-agents: one per project default key, kept between signing jobs, for
the keys that gpg-agent signs for (a lone RSA key signs through signing.oracle instead).

Starting an agent for every job cost a tmpfs mount, a `gpg --import` of the secret, then a kill
and an unmount: about 25 ms of the 135-150 ms that signing one RPM takes. So the signer keeps one
agent per default key alive between jobs:

- its GNUPGHOME holds the secret, as a fresh job's did: a private tmpfs mount when the signer is
  root, else a 0700 directory under the signer's 0700 runtime directory; nothing else of the
  secret is kept;
- a job gets the agent's *restricted* (extra) socket, never the main one: a hard link to it in
  the job's public GNUPGHOME, which the sandbox sees; the link goes with the job's directory,
  and (as root) the socket is given back to the signer's uid, since the sandbox hands the job's
  tree to its build user. The socket itself lies in a 0700 directory of the signer's, so no
  other path reaches it;
- one job at a time per agent (a publisher signs its project's batches in turn); a second job
  on the same key meanwhile gets an agent of its own for its length, as before;
- killed after `IDLE_SECONDS` unused, as soon as its key is no longer the project's active
  default (rotation, revocation: checked on every use and every `SWEEP_SECONDS`), when the
  signer exits, and, for agents of a signer that died, when the next signer starts.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import ServiceFailure
from olivine.signing.gpg import GPGCONF, GpgHome, _mount_tmpfs, _private_dir, default_runtime_dir

IDLE_SECONDS = 120.0
SWEEP_SECONDS = 15.0
_PREFIX = "a"  # a<pid>-<random>: the home; a<pid>-<random>.x: the directory of its socket
SOCKET = "S.gpg-agent"

Secret = Callable[[], bytes]
StillDefault = Callable[[list[int]], set[int]]  # key ids -> those still an active default


def start_agent(home: GpgHome, secret: bytes, extra_socket: Path) -> None:
    """Import the secret into `home`, which starts its agent listening on its main socket and
    on the restricted `extra_socket` (what a sandbox is given)."""
    (home.path / "gpg-agent.conf").write_text(f"extra-socket {extra_socket}\n")
    home.run(["--import"], secret)
    if not extra_socket.is_socket():
        raise ServiceFailure("gpg-agent did not open its restricted socket for the sandbox")


@contextlib.contextmanager
def fresh_agent(base: Path | None, secret: bytes, extra_socket: Path) -> Iterator[None]:
    """An agent for one job only: its home removed and the agent killed on exit."""
    from olivine.signing.gpg import gpg_home

    with gpg_home(base) as home:
        start_agent(home, secret, extra_socket)
        yield


def _main_socket(home: Path) -> Path:
    """Where the agent of `home` listens: in the home, or under /run/user/<uid>/gnupg when
    that directory exists (gpg's choice)."""
    done = subprocess.run(
        [GPGCONF, "--homedir", str(home), "--list-dirs", "agent-socket"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    out = done.stdout.strip()
    return Path(out) if done.returncode == 0 and out else home / SOCKET


def _greeting_pid(sock: Path) -> int | None:
    """The pid of the agent serving `sock`, from its greeting ("OK Pleased to meet you,
    process N"); None when no agent answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect(str(sock))
            hello = s.recv(256).decode(errors="replace").strip()
            s.sendall(b"BYE\n")
        except OSError:
            return None
    if not hello.startswith("OK"):
        return None
    last = hello.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _is_agent(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"gpg-agent")
    except OSError:
        return False


def _agents_of(home: Path) -> list[int]:
    """The gpg-agent processes started for `home` (by their command line)."""
    needle = str(home).encode()
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"gpg-agent") and needle in argv:
            out.append(int(d.name))
    return out


def _wait_gone(pids: set[int], seconds: float) -> None:
    """Until these agents have exited (one exits a moment after gpgconf asked it to)."""
    deadline = time.monotonic() + seconds
    while any(_is_agent(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.01)


@dataclass
class _Agent:
    key_id: int
    home: GpgHome
    extra: Path
    last_used: float
    main: Path | None = None  # its main socket (never given to a job)
    pid: int = 0
    busy: bool = False

    def answers(self) -> bool:
        return self.main is not None and _greeting_pid(self.main) is not None


def _close(agent: _Agent) -> None:
    if agent.home.path.is_dir():
        agent.home.kill_agent()
    pids = {p for p in (agent.pid, *_agents_of(agent.home.path)) if p}
    _wait_gone(pids, 2.0)
    for pid in pids:  # still there (its home was removed under it, say)
        if _is_agent(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    _wait_gone(pids, 2.0)
    if agent.home.tmpfs:
        subprocess.run(["umount", "-l", str(agent.home.path)], capture_output=True)
    shutil.rmtree(agent.home.path, ignore_errors=True)
    shutil.rmtree(agent.extra.parent, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(base: Path) -> None:
    """Kill and remove the agents left by signers that died (PID 1 reaps nothing here)."""
    if not base.is_dir():
        return
    for home in base.glob(f"{_PREFIX}*-*"):
        pid = home.name[len(_PREFIX) :].split("-", 1)[0].removesuffix(".x")
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        if home.suffix != ".x":
            GpgHome(home, False).kill_agent()
            subprocess.run(["umount", "-l", str(home)], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


class AgentPool:
    """The warm agents of one signer process (its KeyStore holds the pool)."""

    def __init__(self, runtime_dir: Path | None, still_default: StillDefault) -> None:
        self.base = runtime_dir or default_runtime_dir()
        self.still_default = still_default
        self._agents: dict[int, _Agent] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None
        self._closed = False
        sweep_orphans(self.base)
        atexit.register(self.close)

    @contextlib.contextmanager
    def lease(self, key_id: int, secret: Secret, dest: Path) -> Iterator[bool]:
        """Give the job's GNUPGHOME (`dest`'s directory) the restricted socket of this key's
        warm agent at `dest`, for the length of the block; yields True. When the warm agent is
        busy with another job or cannot be linked, a fresh agent serves this job alone and the
        block gets False."""
        agent = self._take(key_id, secret)
        if agent is not None:
            try:
                os.link(agent.extra, dest)
            except OSError:  # another filesystem: this job gets its own agent
                self._give_back(agent)
                agent = None
        if agent is None:
            with fresh_agent(self.base, secret(), dest):
                yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                dest.unlink()
            if os.geteuid() == 0:  # the sandbox gave the job's tree (this inode) to its user
                with contextlib.suppress(OSError):
                    os.chown(agent.extra, os.geteuid(), os.getegid())
                    os.chmod(agent.extra, 0o700)
            self._give_back(agent)

    def _take(self, key_id: int, secret: Secret) -> _Agent | None:
        with self._lock:
            if self._closed:
                return None
            agent = self._agents.get(key_id)
            if agent is not None and agent.busy:
                return None
            if agent is not None and not agent.answers():
                del self._agents[key_id]
                _close(agent)
                agent = None
            if agent is None:
                agent = self._start(key_id, secret())
                self._agents[key_id] = agent
                self._start_sweeper()
            agent.busy = True
            return agent

    def _give_back(self, agent: _Agent) -> None:
        with self._lock:
            agent.busy, agent.last_used = False, time.monotonic()
            if self._closed:
                self._agents.pop(agent.key_id, None)
                _close(agent)

    def _start(self, key_id: int, secret: bytes) -> _Agent:
        base = _private_dir(self.base)
        path = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
        extra_dir = path.with_name(path.name + ".x")
        extra_dir.mkdir(mode=0o700)
        home = GpgHome(path, _mount_tmpfs(path))
        agent = _Agent(key_id, home, extra_dir / "S", time.monotonic())
        try:
            start_agent(home, secret, agent.extra)
        except BaseException:
            _close(agent)
            raise
        agent.main = _main_socket(path)
        agent.pid = _greeting_pid(agent.main) or 0
        return agent

    def forget(self, key_ids: set[int] | None = None) -> None:
        """Kill the idle agents of these keys (all idle ones with None); a busy one is killed
        when its job gives it back."""
        with self._lock:
            for kid, agent in list(self._agents.items()):
                if key_ids is None or kid in key_ids:
                    if agent.busy:
                        agent.last_used = -IDLE_SECONDS  # the next sweep takes it
                        continue
                    del self._agents[kid]
                    _close(agent)

    def sweep(self) -> None:
        """Kill the agents idle too long and those whose key is no longer an active default."""
        with self._lock:
            ids = list(self._agents)
        if not ids:
            return
        try:
            keep = self.still_default(ids)
        except Exception:  # the database away: keep nothing warm
            keep = set()
        now = time.monotonic()
        with self._lock:
            for kid, agent in list(self._agents.items()):
                if agent.busy:
                    continue
                if kid not in keep or now - agent.last_used > IDLE_SECONDS:
                    del self._agents[kid]
                    _close(agent)

    def warm(self) -> list[int]:
        with self._lock:
            return sorted(self._agents)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            agents = [a for a in self._agents.values() if not a.busy]
            for a in agents:
                del self._agents[a.key_id]
        for a in agents:
            _close(a)

    def _start_sweeper(self) -> None:
        if self._sweeper is not None and self._sweeper.is_alive():
            return
        self._sweeper = threading.Thread(target=self._sweep_loop, name="agent-sweeper", daemon=True)
        self._sweeper.start()

    def _sweep_loop(self) -> None:
        while True:
            time.sleep(SWEEP_SECONDS)
            self.sweep()
            with self._lock:
                if self._closed or not self._agents:
                    self._sweeper = None
                    return
