"""repomd.xml and repomd.xml.asc from two API processes sharing one database (a load balancer
without affinity): the pair a client gets always matches across a signed head move, checked
with gpgv and with Debian's dnf (repo_gpgcheck=1) through a proxy that sends every request to
the other process."""

from __future__ import annotations

import http.server
import itertools
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from olivine.db.base import Database
from olivine.signing import keys
from olivine.signing.flow import publish_signed_now
from olivine.signing.keystore import KeyStore
from olivine.storage.fs import FsStore
from olivine.supervisor import free_port
from tests.integration.repos.conftest import KEY, RpmFactory, make_app, wait_until
from tests.integration.signing.conftest import GpgDnf
from tests.unit.signing.helpers import build_outputs, make_project

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")
REPO = "/repos/el9/BaseOS/x86_64/"


@dataclass
class Pair:
    urls: list[str]  # two API processes (each its own repo reader and caches), one database
    store: FsStore


def _serve(app: object, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    wait_until(lambda: server.started, 20)
    return server


@pytest.fixture
def pair(db: Database, tmp_path: Path) -> Iterator[Pair]:
    ports = [free_port(), free_port()]
    store = FsStore(tmp_path / "objects", f"http://127.0.0.1:{ports[0]}", KEY)
    # head_ttl 1 s, as `olivine up` runs: a process may serve a head up to 1 s old
    servers = [_serve(make_app(db, store, f"http://127.0.0.1:{p}", ttl=1.0), p) for p in ports]
    yield Pair([f"http://127.0.0.1:{p}" for p in ports], store)
    for s in servers:
        s.should_exit = True


def _verifies(key: keys.KeyMaterial, asc: bytes, data: bytes, tmp: Path) -> bool:
    ring = tmp / "ring.gpg"
    if not ring.exists():
        armored = key.public_key.encode()
        ring.write_bytes(subprocess.run(["gpg", "--dearmor"], input=armored,
                                        capture_output=True, check=True).stdout)  # fmt: skip
    (tmp / "r.xml").write_bytes(data)
    (tmp / "r.asc").write_bytes(asc)
    proc = subprocess.run(["gpgv", "--keyring", str(ring), str(tmp / "r.asc"), str(tmp / "r.xml")],
                          capture_output=True)  # fmt: skip
    return proc.returncode == 0


def _publish(db: Database, pair: Pair, keystore: KeyStore, pid: int, rpm: Path) -> None:
    new = build_outputs(db, pair.store, pid, [rpm])
    publish_signed_now(db, pair.store, keystore, "el9", pid, changed=[new[0].artifact_id])


def test_the_asc_follows_the_repomd_the_client_got_from_another_process(
    db: Database,
    pair: Pair,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    make_rpm: RpmFactory,
    tmp_path: Path,
) -> None:
    pid = make_project(db, "el9", repositories=[{"name": "BaseOS"}])
    keystore.import_key("el9", rsa_key.secret, actor_id=None)
    build_outputs(db, pair.store, pid, [make_rpm("hello", "1.0")])
    publish_signed_now(db, pair.store, keystore, "el9", pid)
    one, two = (u + REPO + "repodata/" for u in pair.urls)
    first = httpx.get(one + "repomd.xml").content  # process 1 serves revision A
    _publish(db, pair, keystore, pid, make_rpm("tools", "1.0"))  # the head moves to B
    asc = httpx.get(two + "repomd.xml.asc").content  # process 2 knows nothing of process 1
    assert _verifies(rsa_key, asc, first, tmp_path)  # A's signature, from the database
    second = httpx.get(two + "repomd.xml").content  # process 2 serves B
    assert second != first
    asc = httpx.get(one + "repomd.xml.asc").content  # process 1 may still cache head A
    assert _verifies(rsa_key, asc, second, tmp_path) and not _verifies(
        rsa_key, asc, first, tmp_path
    )
    # a rollback to revision 1 moves the head the same way: the client that read 2 gets 2's .asc
    from olivine.repos.revisions import rollback

    time.sleep(1.2)  # past the head cache's TTL: process 1 serves revision 2 too
    again = httpx.get(one + "repomd.xml").content
    assert again == second
    rollback(db, "el9", "BaseOS", 1, "x86_64")
    assert _verifies(rsa_key, httpx.get(two + "repomd.xml.asc").content, second, tmp_path)
    time.sleep(1.2)  # the head cache's TTL: then every process serves revision 1
    back = httpx.get(two + "repomd.xml").content
    assert back == first
    assert _verifies(rsa_key, httpx.get(one + "repomd.xml.asc").content, first, tmp_path)


class _RoundRobin(http.server.ThreadingHTTPServer):
    """A load balancer without affinity: each request goes to the next API process."""

    def __init__(self, backends: list[str]) -> None:
        self.next = itertools.cycle(backends).__next__
        self.lock = threading.Lock()
        self.sent: dict[str, int] = dict.fromkeys(backends, 0)
        super().__init__(("127.0.0.1", free_port()), _Forward)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: _RoundRobin

    def do_GET(self) -> None:
        with self.server.lock:
            backend = self.server.next()
            self.server.sent[backend] += 1
        r = httpx.get(backend + self.path, follow_redirects=False)
        self.send_response(r.status_code)
        for k, v in r.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(r.content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(r.content)

    def log_message(self, *_args: object) -> None:
        pass


def test_dnf_never_fails_behind_a_balancer_while_signed_publishes_move_the_head(
    db: Database,
    pair: Pair,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
) -> None:
    pid = make_project(db, "el9", repositories=[{"name": "BaseOS"}])
    keystore.import_key("el9", rsa_key.secret, actor_id=None)
    build_outputs(db, pair.store, pid, [make_rpm("base", "1.0")])
    publish_signed_now(db, pair.store, keystore, "el9", pid)
    rpms = [make_rpm("churn", f"1.{i}") for i in range(6)]
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for rpm in rpms:
                _publish(db, pair, keystore, pid, rpm)
        except BaseException as e:
            errors.append(e)

    lb = _RoundRobin(pair.urls)
    threading.Thread(target=lb.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{lb.server_address[1]}{REPO}"
    thread = threading.Thread(target=publisher)
    thread.start()
    rounds = 0
    try:
        while thread.is_alive() or rounds < 2:
            gdnf(url, "makecache", "--refresh")  # raises on "Bad GPG signature"
            rounds += 1
        thread.join()
        final = _versions_once_settled(gdnf, url, len(rpms))
    finally:
        thread.join()
        lb.shutdown()
    assert not errors and rounds >= 2 and all(n > rounds for n in lb.sent.values())
    assert sorted(final.split()) == [f"1.{i}" for i in range(6)]


def _versions_once_settled(gdnf: GpgDnf, url: str, count: int) -> str:
    """churn's versions as dnf sees them once each process serves the last head (a process may
    serve a head up to its cache TTL, 1 s here, old)."""
    deadline = time.monotonic() + 10
    while True:
        out = gdnf(url, "repoquery", "--refresh", "--qf", "%{version}", "churn").stdout
        if len(out.split()) >= count or time.monotonic() > deadline:
            return out
        time.sleep(0.5)
