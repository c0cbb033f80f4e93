"""Repos whose objects live in S3 (moto_server on loopback): metadata files and RPMs are 302s to
presigned URLs, and dnf follows them."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from olivine.db.base import Database
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from olivine.storage.s3 import S3Store
from olivine.supervisor import free_port
from tests.integration.repos.conftest import Dnf, make_app, wait_until
from tests.integration.storage.test_object_store import moto_url  # noqa: F401  (fixture)
from tests.unit.repos.helpers import make_project, pulp_rpms

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")


@pytest.fixture
def s3_store(moto_url: str) -> S3Store:  # noqa: F811
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return S3Store(
        f"r{os.urandom(4).hex()}",
        endpoint_url=moto_url,
        access_key_id="testing",
        secret_access_key="testing",
        create_bucket=True,
    )


@pytest.fixture
def s3_served(db: Database, s3_store: S3Store) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(db, s3_store, url, ttl=0)  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 20)
    yield url
    server.should_exit = True
    thread.join(10)


def test_s3_backed_repo(
    db: Database, s3_store: S3Store, s3_served: str, dnf: Dnf, tmp_path: Path
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    for rpm in pulp_rpms("bear", "cat", "dog"):
        ingest_rpm(db, s3_store, rpm, pid)
    publish_project(db, s3_store, pid)
    base = f"{s3_served}/repos/el9/BaseOS/x86_64"
    md = httpx.get(f"{base}/repodata/repomd.xml").text
    href = md.split('location href="')[1].split('"')[0]
    r = httpx.get(f"{base}/{href}")
    assert r.status_code == 302
    data = httpx.get(r.headers["location"]).content
    assert hashlib.sha256(data).hexdigest() == href.split("/")[1].split("-")[0]
    dnf(f"{base}/", "install", "bear")
    q = dnf(f"{base}/", "repoquery", "--qf", "%{name}")
    assert sorted(q.stdout.split()) == ["bear", "cat", "dog"]
