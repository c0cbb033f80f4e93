"""The repository URLs through the FastAPI router alone and through the ASGI fast path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from olivine.db.base import Database
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from olivine.storage.fs import FsStore
from tests.integration.repos.conftest import TOKEN, make_app
from tests.unit.repos.helpers import make_project, pulp_rpms


@pytest.mark.parametrize("fast", [False, True], ids=["router", "fast-path"])
def test_repo_urls(db: Database, fs_store: FsStore, fast: bool) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    for rpm in pulp_rpms("bear", "cat"):
        ingest_rpm(db, fs_store, rpm, pid)
    publish_project(db, fs_store, pid)
    client = TestClient(make_app(db, fs_store, "http://olivine.test", ttl=0, fast=fast))
    base = "/repos/el9/BaseOS/x86_64"
    md = client.get(f"{base}/repodata/repomd.xml")
    assert md.status_code == 200 and md.headers["content-type"].startswith("application/xml")
    assert (
        client.get(
            f"{base}/repodata/repomd.xml", headers={"If-None-Match": md.headers["etag"]}
        ).status_code
        == 304
    )
    href = md.text.split('location href="')[1].split('"')[0]
    f = client.get(f"{base}/{href}")
    assert (
        f.status_code == 200
        and "immutable" in f.headers["cache-control"]
        and f.content[:2] == b"\x1f\x8b"
    )
    bad = client.get(f"{base}/repodata/{'0' * 64}-primary.xml.gz")
    assert bad.status_code == 404 and bad.headers["content-type"] == "application/problem+json"
    rpm = client.get(f"{base}/Packages/b/bear-4.1-1.noarch.rpm", follow_redirects=False)
    assert rpm.status_code == 302 and rpm.headers["location"].startswith("/objects/")
    assert (
        client.get(f"{base}/Packages/z/zebra-1-1.noarch.rpm", follow_redirects=False).status_code
        == 404
    )
    assert client.get("/repos/el9/Nope/x86_64/repodata/repomd.xml").status_code == 404
    missing = client.get("/repos/nope/BaseOS/x86_64/repodata/repomd.xml")  # as a private one
    assert missing.status_code == 401 and "Basic" in missing.headers["www-authenticate"]
    text = client.get("/repos/el9/BaseOS.repo").text
    assert (
        "[el9-BaseOS]" in text and "baseurl=http://olivine.test/repos/el9/BaseOS/$basearch/" in text
    )


@pytest.mark.parametrize("fast", [False, True], ids=["router", "fast-path"])
def test_private_project(db: Database, fs_store: FsStore, fast: bool) -> None:
    pid = make_project(db, "hidden", public=False, repositories=[{"name": "BaseOS"}])
    ingest_rpm(db, fs_store, pulp_rpms("bear")[0], pid)
    publish_project(db, fs_store, pid)
    client = TestClient(make_app(db, fs_store, "http://olivine.test", ttl=0, fast=fast))
    url = "/repos/hidden/BaseOS/x86_64/repodata/repomd.xml"
    anon = client.get(url)
    assert anon.status_code == 401 and "Basic" in anon.headers["www-authenticate"]
    assert client.get(url, auth=("token", "wrong")).status_code == 403
    ok = client.get(url, auth=("token", TOKEN))
    assert ok.status_code == 200 and ok.headers["cache-control"].startswith("private")
    assert client.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert "username=" in client.get("/repos/hidden/BaseOS.repo", auth=("t", TOKEN)).text


def test_head_requests_on_the_fast_path(db: Database, fs_store: FsStore) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    ingest_rpm(db, fs_store, pulp_rpms("bear")[0], pid)
    publish_project(db, fs_store, pid)
    client = TestClient(make_app(db, fs_store, "http://olivine.test", ttl=0, fast=True))
    r = client.head("/repos/el9/BaseOS/x86_64/repodata/repomd.xml")
    assert r.status_code == 200 and r.content == b"" and "etag" in r.headers


@pytest.mark.parametrize("fast", [False, True], ids=["router", "fast-path"])
def test_a_repository_or_arch_that_does_not_exist_is_a_404(
    db: Database, fs_store: FsStore, fast: bool
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    ingest_rpm(db, fs_store, pulp_rpms("bear")[0], pid)
    publish_project(db, fs_store, pid)
    client = TestClient(make_app(db, fs_store, "http://olivine.test", ttl=0, fast=fast))
    for name in ("BaseOS", "all"):
        r = client.get(f"/repos/el9/{name}.repo")
        assert r.status_code == 200 and f"[el9-{name}]" in r.text
    nope = client.get("/repos/el9/Nope.repo")
    assert nope.status_code == 404
    assert nope.headers["content-type"] == "application/problem+json"
    assert "project el9 has no repository 'Nope' (it has: BaseOS,all)" in nope.json()["detail"]
    assert "[el9-Nope]" not in nope.text
    for path in ("repodata/repomd.xml", "RPM-GPG-KEY", "Packages/b/bear-4.1-1.noarch.rpm"):
        r = client.get(f"/repos/el9/BaseOS/aarch64/{path}", follow_redirects=False)
        assert r.status_code == 404, path
        assert "el9/BaseOS has no arch 'aarch64'" in r.json()["detail"], path
        assert "x86_64" in r.json()["detail"] and "source" in r.json()["detail"]
        r = client.get(f"/repos/el9/Nope/x86_64/{path}", follow_redirects=False)
        assert r.status_code == 404 and "no repository 'Nope'" in r.json()["detail"], path
    ok = client.get("/repos/el9/BaseOS/x86_64/Packages/b/bear-4.1-1.noarch.rpm")
    assert ok.status_code in (200, 302)
