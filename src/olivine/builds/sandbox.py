"""Run one command in a bubblewrap sandbox that holds no privilege (TOOLCHAIN.md "A sandbox
without privilege").

What the sandbox sees: /usr (optionally overlaid, in a private mount namespace, with the unpacked
RPMs of the build root), the /bin /lib /lib64 /sbin links, a minimal /etc, its own /dev, /proc,
size-capped /tmp and /var/tmp, and its build directory at /build, the only writable place. No
network, no /var, /run, /home or /root: so no data directory, no database socket, no keys, no
other builds.

Who runs it: as root, the worker enters a private mount namespace (`unshare -m`), puts its
shell into the build's cgroup (pids, memory, CPU: builds/cgroups.py), bind-mounts the build
directory (and the build-root overlay) where the build user can reach them, then drops to the
build slot's own non-root host user (`setpriv --reuid --regid --clear-groups --inh-caps=-all`)
and starts bwrap with a user namespace, `--cap-drop ALL`, `--disable-userns` and the seccomp
filter of builds/seccomp.py. bwrap's own environment is only PATH (nothing of the worker's
reaches /proc/1/environ inside). A worker that is not root runs bwrap as itself.

Output is read in chunks and cut into lines of at most `line_limit` bytes while the command runs;
only a tail of the lines is kept (for the failure reason), so a flood without newlines costs
the worker a bounded amount of memory. A time limit, a log size limit and a cancel check stop it
by killing the process group and then every process left in the cgroup. A marker in the sandbox
environment lets the runner verify that no process is left."""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from olivine.builds import cgroups, host
from olivine.builds.cgroups import BuildCgroup, Resources
from olivine.builds.loglines import LineCutter
from olivine.builds.seccomp import write_filter
from olivine.builds.users import BuildUser, SandboxUnavailable

LogFn = Callable[[str], None]
CancelFn = Callable[[], bool]

SANDBOX_HOME = "/build"
MARKER_VAR = "OLIVINE_SANDBOX"
HOSTNAME = "olivine-build"
SAFE_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
BUILD_USER = "mockbuild"
# What of the host the sandbox sees (besides /usr): also the list a worker's data directory and
# secrets must stay out of (check_not_bound).
HOST_LINKS = ("bin", "lib", "lib64", "sbin")
ETC_FROM_HOST = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "rpm", "localtime")


@dataclass(frozen=True)
class SandboxSpec:
    build_dir: Path  # host directory bound writable at /build
    command: Sequence[str]
    overlay_usr: Path | None = None  # a tree laid over the host /usr
    env: Mapping[str, str] = field(default_factory=dict)
    time_limit: float = 4 * 3600
    log_limit: int = 64 * 1024 * 1024  # bytes of output
    poll_interval: float = 0.2
    resources: Resources | None = None  # None: the operator's defaults (builds/host.py)
    user: BuildUser | None = None  # a leased build user (None: lease one for this run)
    ro_binds: tuple[tuple[Path, str], ...] = ()  # extra read-only binds (host path, sandbox path)
    tmp_size: int | None = None  # bytes of each of /tmp and /var/tmp (None: the operator's)
    line_limit: int = 64 * 1024  # a longer line is cut (the rest, up to its newline, dropped)


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None
    duration: float
    lines: tuple[str, ...]  # the last lines of the output (each cut at 4 KiB)
    timed_out: bool = False
    cancelled: bool = False
    log_truncated: bool = False
    leftover: tuple[int, ...] = ()  # pids still alive after the kill (should stay empty)
    marker: str = ""  # the OLIVINE_SANDBOX value of this run (see sandbox_pids)
    limit_reason: str | None = None  # a cgroup limit the run ran into (memory, processes)
    line_count: int = 0  # lines of output in all
    first_line: int = 1  # the line number of lines[0]

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


def _etc_args(private: Path, uid: int, gid: int) -> list[str]:
    etc = private / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    me = f"{BUILD_USER}:x:{uid}:{gid}:{BUILD_USER}:{SANDBOX_HOME}:/bin/bash\n" if uid else ""
    passwd = f"root:x:0:0:root:/root:/bin/bash\n{me}nobody:x:65534:65534::/:/usr/sbin/nologin\n"
    mygroup = f"{BUILD_USER}:x:{gid}:\n" if gid else ""
    (etc / "passwd").write_text(passwd)
    (etc / "group").write_text(f"root:x:0:\nmock:x:135:\n{mygroup}nobody:x:65534:\n")
    (etc / "hosts").write_text(f"127.0.0.1 localhost {HOSTNAME}\n::1 localhost\n")
    (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")
    args: list[str] = []
    for name in ("passwd", "group", "hosts", "nsswitch.conf"):
        (etc / name).chmod(0o644)
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for name in ETC_FROM_HOST:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def bound_host_paths() -> list[Path]:
    """The host paths every sandbox sees (resolved): nothing of Olivine's may lie below."""
    out = [Path("/usr").resolve()]
    out += [(Path("/") / n).resolve() for n in HOST_LINKS if (Path("/") / n).exists()]
    out += [(Path("/etc") / n).resolve() for n in ETC_FROM_HOST if (Path("/etc") / n).exists()]
    return list(dict.fromkeys(out))


def bwrap_args(
    spec: SandboxSpec,
    usr: str,
    private: Path,
    marker: str,
    build: str | None = None,
    seccomp_fd: int | None = None,
    uid: int = 0,
    gid: int = 0,
) -> list[str]:
    """The bwrap command line (usr: the host path bound at /usr; build: the host path bound at
    /build, default spec.build_dir)."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--ro-bind", usr, "/usr"]
    for name in HOST_LINKS:
        args += _host_link(name)
    tmp = str(spec.tmp_size or host.current().config.caps.tmp_size)
    args += ["--dev", "/dev", "--proc", "/proc"]
    args += ["--size", tmp, "--tmpfs", "/tmp", "--size", tmp, "--tmpfs", "/var/tmp"]
    args += _etc_args(private, uid, gid)
    for i, (src, dest) in enumerate(spec.ro_binds):  # as root, mounted under private first
        args += ["--ro-bind", str(private / f"ro-{i}") if uid else str(src), dest]
    args += ["--bind", build or str(spec.build_dir), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    args += ["--remount-ro", "/", "--hostname", HOSTNAME, "--clearenv"]
    env = {
        "PATH": SAFE_PATH,
        "HOME": SANDBOX_HOME,
        "TMPDIR": "/tmp",
        **spec.env,
        MARKER_VAR: marker,
    }
    for k, v in env.items():
        args += ["--setenv", k, v]
    return [*args, "--", *spec.command]


def full_command(
    spec: SandboxSpec,
    private: Path,
    marker: str,
    user: BuildUser | None = None,
    cgroup: BuildCgroup | None = None,
    seccomp_fd: int | None = None,
) -> list[str]:
    """As root: `unshare -m` and a root shell that joins the cgroup, mounts the build
    directory (and the build-root overlay) under `private`, and drops to `user` for bwrap.
    Not root: bwrap alone (it is unprivileged already)."""
    if os.geteuid() != 0 or user is None:
        if spec.overlay_usr is not None:
            raise SandboxUnavailable(
                "a build root with project packages needs an overlay mount: "
                "run build workers as root"
            )
        inner = bwrap_args(spec, "/usr", private, marker, seccomp_fd=seccomp_fd)
        return inner if cgroup is None else _join_cgroup(cgroup, inner)
    build = private / "build"
    build.mkdir(parents=True, exist_ok=True)
    usr = "/usr"
    script = [_bind(spec.build_dir, build, "nosuid,nodev")]
    for i, (src, _) in enumerate(spec.ro_binds):
        (private / f"ro-{i}").mkdir()
        script.append(_bind(src, private / f"ro-{i}", "ro,nosuid,nodev"))
    if spec.overlay_usr is not None:
        merged = private / "usr"
        merged.mkdir(parents=True, exist_ok=True)
        usr = str(merged)
        opts = f"ro,nosuid,nodev,lowerdir={spec.overlay_usr}:/usr"
        mount = ["mount", "-t", "overlay", "olivine-buildroot", "-o", opts, usr]
        script.append(shlex.join(mount))
    inner = bwrap_args(spec, usr, private, marker, str(build), seccomp_fd, user.uid, user.gid)
    drop = [
        "setpriv",
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]
    script.append(f"exec {shlex.join([*drop, *inner])}")
    # one root shell joins the cgroup (before anything else runs), mounts, and drops to the user
    return ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-ec",
            " && ".join([*_joins(cgroup), *script])]  # fmt: skip


def _bind(src: Path, dest: Path, flags: str) -> str:
    """Shell to bind `src` on `dest` (root, in the private mount namespace) with `flags`: one
    mount(8), which binds and then remounts with the flags (util-linux >= 2.27)."""
    s, d = shlex.quote(str(src)), shlex.quote(str(dest))
    return f"mount --bind -o {flags} {s} {d}"


def _join_cgroup(cgroup: BuildCgroup | None, cmd: list[str]) -> list[str]:
    """A shell that puts itself into every controller's cgroup before it execs `cmd`, so that
    nothing of the build ever runs outside it."""
    if cgroup is None:
        return cmd
    joins = " && ".join(_joins(cgroup))
    return ["/bin/sh", "-ec", f'{joins} && exec "$@"', "olivine-sandbox", *cmd]


def _joins(cgroup: BuildCgroup | None) -> list[str]:
    """Shell that puts the shell itself into every controller's cgroup."""
    return [] if cgroup is None else cgroups.join_commands(cgroup.procs_files)


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


@dataclass
class _Run:
    """What one run holds while it runs: removed by `_prepare`'s exit."""

    private: Path
    user: BuildUser | None
    cgroup: BuildCgroup | None
    seccomp_fd: int | None


@contextlib.contextmanager
def _prepare(spec: SandboxSpec, marker: str) -> Iterator[_Run]:
    """A private directory, a build user (as root), the cgroup and the seccomp filter."""
    bh = host.current()
    private = bh.worker_dir / f"sandbox-{marker[:12]}"
    private.mkdir(mode=0o755)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, private, True)
        user = spec.user
        if os.geteuid() == 0 and user is None:
            user = stack.enter_context(bh.pool.lease())
            chown_tree(spec.build_dir, user)
        res = spec.resources or host.default_resources()
        cg = cgroups.create(bh.instance, bh.cgroup_name(marker), res, bh.hierarchy())
        stack.callback(cg.remove)
        fd = os.open(write_filter(private / "seccomp.bpf"), os.O_RDONLY)
        stack.callback(os.close, fd)
        yield _Run(private, user if os.geteuid() == 0 else None, cg, fd)


def chown_tree(root: Path, user: BuildUser) -> None:
    """Give a build directory to its build user, links themselves and not what they name."""
    os.lchown(root, user.uid, user.gid)
    for d, dirs, files in os.walk(root):
        for n in (*dirs, *files):
            os.lchown(os.path.join(d, n), user.uid, user.gid)


def run_sandboxed(
    spec: SandboxSpec, log: LogFn, cancelled: CancelFn | None = None
) -> SandboxResult:
    """Run `spec.command` in the sandbox; returns when it exits or has been stopped, with every
    process of the run gone. Raises SandboxUnavailable when the sandbox cannot be made as
    required (no build user, no cgroup limits)."""
    return finish_sandboxed(start_sandboxed(spec), log, cancelled)


@dataclass
class Started:
    """A sandbox whose processes run: its namespaces, mounts and cgroup made. A gated one
    (`start_sandboxed(gated=True)`) has its stdin on a pipe, on which `finish_sandboxed` writes
    "go" (what the command waits for) once the caller has put the job's files in place."""

    spec: SandboxSpec
    marker: str
    run: _Run
    proc: subprocess.Popen[bytes]
    stack: contextlib.ExitStack

    def alive(self) -> bool:
        return self.proc.poll() is None

    def discard(self) -> None:
        """Stop it unused (the gate closed without "go": its command exits)."""
        with self.stack:
            if self.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            _kill(self.proc, self.marker, grace=2.0)
            assert self.run.cgroup is not None
            self.run.cgroup.kill()


def start_sandboxed(spec: SandboxSpec, gated: bool = False) -> Started:
    """Make the sandbox and start its command (see Started); raises SandboxUnavailable."""
    marker = uuid.uuid4().hex
    stack = contextlib.ExitStack()
    try:
        run = stack.enter_context(_prepare(spec, marker))
        cmd = full_command(spec, run.private, marker, run.user, run.cgroup, run.seccomp_fd)
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if gated else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={"PATH": SAFE_PATH},  # what PID 1 of the sandbox shows in /proc/1/environ
            cwd="/",  # nor the worker's directory (the shell exports PWD)
            pass_fds=() if run.seccomp_fd is None else (run.seccomp_fd,),
        )
    except BaseException:
        stack.close()
        raise
    return Started(spec, marker, run, proc, stack)


def _open_gate(started: Started) -> None:
    """The files the caller added since the start go to the build user too, then "go"."""
    if started.run.user is not None:
        chown_tree(started.spec.build_dir, started.run.user)
    assert started.proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        started.proc.stdin.write(b"go\n")
        started.proc.stdin.close()


def finish_sandboxed(
    started: Started, log: LogFn, cancelled: CancelFn | None = None
) -> SandboxResult:
    """Open a gated sandbox's gate, then pump its output until it ends or must stop; every
    process of the run is gone when this returns."""
    spec, proc, marker, run = started.spec, started.proc, started.marker, started.run
    with started.stack:
        if proc.stdin is not None:
            _open_gate(started)
        start = time.monotonic()
        lines = LineCutter(log, spec.log_limit, spec.line_limit)
        stop = _pump(proc, spec, lines, start, cancelled)
        leftover: list[int] = []
        if stop:
            leftover = _kill(proc, marker)
        lines.close()
        assert proc.stdout is not None
        proc.stdout.close()
        rc = proc.wait()
        assert run.cgroup is not None
        leftover = sorted(set(leftover) | set(run.cgroup.kill()))
        limit = run.cgroup.limit_hit()
    return SandboxResult(
        returncode=None if stop else rc,
        duration=time.monotonic() - start,
        lines=tuple(lines.tail),
        timed_out=stop == "time",
        cancelled=stop == "cancel",
        log_truncated=stop == "log",
        leftover=tuple(leftover),
        marker=marker,
        limit_reason=limit,
        line_count=lines.count,
        first_line=lines.count - len(lines.tail) + 1,
    )


def _pump(
    proc: subprocess.Popen[bytes],
    spec: SandboxSpec,
    lines: LineCutter,
    start: float,
    cancelled: CancelFn | None,
) -> str | None:
    """Read the output until it ends or the run must stop; returns why it stopped, if so."""
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    with contextlib.suppress(OSError):  # fewer, larger reads of a chatty build
        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            for _ in sel.select(spec.poll_interval):
                data = proc.stdout.read(1 << 20)
                if data is None:  # nothing after all (non-blocking read)
                    continue
                if not data:
                    return None
                if not lines.feed(data):
                    return "log"
            if time.monotonic() - start > spec.time_limit:
                return "time"
            if cancelled is not None and cancelled():
                return "cancel"


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
