"""Run one command in a bubblewrap sandbox (TOOLCHAIN.md "Sandbox").

What the sandbox sees: /usr (optionally overlaid, in a private mount namespace, with the unpacked
RPMs of the build root), the /bin /lib /lib64 /sbin links, a minimal /etc, its own /dev, /proc,
/tmp and /var/tmp, and its build directory at /build, the only writable place. No network, no
/var, /run, /home or /root: so no data directory, no database socket, no keys, no other builds.

Output is streamed line by line to a log callable while the command runs. A time limit, a log size
limit and a cancel check stop it by killing the whole process group; bwrap runs with
--die-with-parent and its own PID namespace, so the build's processes die with it. A marker in the
sandbox environment lets the runner verify that no process is left."""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from olivine.errors import ConfigError

LogFn = Callable[[str], None]
CancelFn = Callable[[], bool]

SANDBOX_HOME = "/build"
MARKER_VAR = "OLIVINE_SANDBOX"
HOSTNAME = "olivine-build"
_ETC_FROM_HOST = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "rpm", "localtime")
_PASSWD = "root:x:0:0:root:/build:/bin/bash\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
_GROUP = "root:x:0:\nmock:x:135:\nnobody:x:65534:\n"


@dataclass(frozen=True)
class SandboxSpec:
    build_dir: Path  # host directory bound writable at /build
    command: Sequence[str]
    overlay_usr: Path | None = None  # a tree laid over the host /usr
    env: Mapping[str, str] = field(default_factory=dict)
    time_limit: float = 4 * 3600
    log_limit: int = 64 * 1024 * 1024  # bytes of output
    poll_interval: float = 0.2


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None
    duration: float
    lines: tuple[str, ...]
    timed_out: bool = False
    cancelled: bool = False
    log_truncated: bool = False
    leftover: tuple[int, ...] = ()  # pids still alive after the kill (should stay empty)
    marker: str = ""  # the OLIVINE_SANDBOX value of this run (see sandbox_pids)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not (self.timed_out or self.cancelled or self.log_truncated)


def _host_link(name: str) -> list[str]:
    p = Path("/") / name
    if p.is_symlink():
        return ["--symlink", os.readlink(p), f"/{name}"]
    if p.is_dir():
        return ["--ro-bind", str(p), f"/{name}"]
    return []


def _etc_args(private: Path) -> list[str]:
    etc = private / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "passwd").write_text(_PASSWD)
    (etc / "group").write_text(_GROUP)
    (etc / "hosts").write_text(f"127.0.0.1 localhost {HOSTNAME}\n::1 localhost\n")
    (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")
    args: list[str] = []
    for name in ("passwd", "group", "hosts", "nsswitch.conf"):
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for name in _ETC_FROM_HOST:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def bwrap_args(spec: SandboxSpec, usr: str, private: Path, marker: str) -> list[str]:
    """The bwrap command line (usr: the host path bound at /usr)."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    args += ["--ro-bind", usr, "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        args += _host_link(name)
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    args += _etc_args(private)
    args += ["--bind", str(spec.build_dir), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    args += ["--remount-ro", "/", "--hostname", HOSTNAME, "--clearenv"]
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": SANDBOX_HOME,
        "TMPDIR": "/tmp",
        **spec.env,
        MARKER_VAR: marker,
    }
    for k, v in env.items():
        args += ["--setenv", k, v]
    return [*args, "--", *spec.command]


def full_command(spec: SandboxSpec, private: Path, marker: str) -> list[str]:
    """bwrap alone, or (with a build-root overlay) bwrap inside `unshare -m` after the mount."""
    if spec.overlay_usr is None:
        return bwrap_args(spec, "/usr", private, marker)
    if os.geteuid() != 0:
        raise ConfigError(
            "a build root with project packages needs an overlay mount: run build workers as root"
        )
    merged = private / "usr"
    merged.mkdir(parents=True, exist_ok=True)
    inner = bwrap_args(spec, str(merged), private, marker)
    mount = f"mount -t overlay olivine-buildroot -o ro,lowerdir={spec.overlay_usr}:/usr {merged}"
    script = f"{mount} && exec {shlex.join(inner)}"
    return ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script]


def sandbox_pids(marker: str) -> list[int]:
    """Processes whose environment carries the sandbox marker."""
    needle = f"{MARKER_VAR}={marker}".encode()
    pids: list[int] = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            pids.append(int(d.name))
    return pids


class _Lines:
    """Splits the byte stream into lines, hands each to the log, keeps them, counts bytes."""

    def __init__(self, log: LogFn, limit: int) -> None:
        self.log, self.limit = log, limit
        self.buf = b""
        self.lines: list[str] = []
        self.size = 0

    def feed(self, data: bytes) -> bool:
        """False once the log size limit is exceeded."""
        self.size += len(data)
        self.buf += data
        *complete, self.buf = self.buf.split(b"\n")
        for raw in complete:
            self._emit(raw)
        return self.size <= self.limit

    def close(self) -> None:
        if self.buf:
            self._emit(self.buf)
            self.buf = b""

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        self.lines.append(line)
        self.log(line)


def run_sandboxed(
    spec: SandboxSpec, log: LogFn, cancelled: CancelFn | None = None
) -> SandboxResult:
    """Run `spec.command` in the sandbox; returns when it exits or has been stopped."""
    marker = uuid.uuid4().hex
    private = spec.build_dir.parent / f".sandbox-{marker[:12]}"
    cmd = full_command(spec, private, marker)
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    lines = _Lines(log, spec.log_limit)
    stop: str | None = None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        eof = False
        while not eof:
            for _ in sel.select(spec.poll_interval):
                data = proc.stdout.read(65536)
                if data is None:  # nothing after all (non-blocking read)
                    continue
                if not data:
                    eof = True
                elif not lines.feed(data):
                    stop = "log"
            if stop is None and time.monotonic() - start > spec.time_limit:
                stop = "time"
            if stop is None and cancelled is not None and cancelled():
                stop = "cancel"
            if stop:
                break
    leftover: list[int] = []
    if stop:
        leftover = _kill(proc, marker)
    lines.close()
    proc.stdout.close()
    rc = proc.wait()
    _cleanup(private)
    return SandboxResult(
        returncode=None if stop else rc,
        duration=time.monotonic() - start,
        lines=tuple(lines.lines),
        timed_out=stop == "time",
        cancelled=stop == "cancel",
        log_truncated=stop == "log",
        leftover=tuple(leftover),
        marker=marker,
    )


def _kill(proc: subprocess.Popen[bytes], marker: str, grace: float = 10.0) -> list[int]:
    """Kill the process group, then any process still carrying the marker; what is left after
    `grace` seconds is returned (and reported by the caller)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while True:
        left = sandbox_pids(marker)
        if not left or time.monotonic() > deadline:
            return left
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _cleanup(private: Path) -> None:
    shutil.rmtree(private, ignore_errors=True)
