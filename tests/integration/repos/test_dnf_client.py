"""Debian's dnf against repositories served from the database over HTTP on loopback."""

from __future__ import annotations

import shutil
import subprocess
import threading

import httpx
import pytest

from olivine.db.base import Database
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from tests.integration.repos.conftest import TOKEN, Dnf, RpmFactory, Served
from tests.unit.repos.helpers import make_project

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")


def installed(dnf: Dnf) -> list[str]:
    out = subprocess.run(
        ["rpm", "--root", str(dnf.root), "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NVR}\n"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(out.stdout.split())


def test_install_upgrade_and_repoquery(
    db: Database, served: Served, dnf: Dnf, make_rpm: RpmFactory
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    for name in ("hello", "tools"):
        ingest_rpm(db, served.store, make_rpm(name, "1.0"), pid)
    publish_project(db, served.store, pid)
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    dnf(url, "install", "hello")
    assert installed(dnf) == ["hello-1.0-1"]

    ingest_rpm(db, served.store, make_rpm("hello", "2.0"), pid)
    publish_project(db, served.store, pid)
    dnf(url, "upgrade", "--refresh")
    assert installed(dnf) == ["hello-2.0-1"]
    q = dnf(url, "repoquery", "--qf", "%{name}-%{version}-%{release}.%{arch}")
    assert sorted(q.stdout.split()) == [
        "hello-1.0-1.noarch",
        "hello-2.0-1.noarch",
        "tools-1.0-1.noarch",
    ]
    files = dnf(url, "repoquery", "-l", "tools")
    assert "/usr/share/tools/f1.txt" in files.stdout

    r = httpx.get(url + "repodata/repomd.xml")
    etag = r.headers["etag"]
    assert (
        httpx.get(url + "repodata/repomd.xml", headers={"If-None-Match": etag}).status_code == 304
    )
    rpm = httpx.get(url + "Packages/h/hello-2.0-1.noarch.rpm")
    assert rpm.status_code == 302 and rpm.headers["location"].startswith("/objects/")
    repo_file = httpx.get(f"{served.url}/repos/el9/BaseOS.repo").text
    assert f"baseurl={served.url}/repos/el9/BaseOS/$basearch/" in repo_file


def test_private_repo_needs_the_token(
    db: Database, served: Served, dnf: Dnf, make_rpm: RpmFactory
) -> None:
    pid = make_project(db, "secret", public=False, repositories=[{"name": "BaseOS"}])
    ingest_rpm(db, served.store, make_rpm("hello", "1.0"), pid)
    publish_project(db, served.store, pid)
    url = f"{served.url}/repos/secret/BaseOS/x86_64/"
    refused = dnf(url, "repoquery", "hello", check=False)
    assert refused.returncode != 0
    assert httpx.get(url + "repodata/repomd.xml").status_code == 401
    q = dnf(url, "repoquery", "--qf", "%{name}-%{version}", "hello", creds=TOKEN)
    assert q.stdout.split() == ["hello-1.0"]
    dnf(url, "install", "hello", creds=TOKEN)
    assert installed(dnf) == ["hello-1.0-1"]


def test_makecache_and_repoquery_never_fail_while_publishing(
    db: Database, served: Served, dnf: Dnf, make_rpm: RpmFactory
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS", "keep": 2}])
    rpms = [make_rpm("churn", f"1.{i}", files=30) for i in range(12)]
    for i in range(3):
        ingest_rpm(db, served.store, make_rpm(f"base{i}", "1.0", files=30), pid)
    ingest_rpm(db, served.store, rpms[0], pid)
    publish_project(db, served.store, pid)
    stop = threading.Event()
    published: list[int] = []
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for rpm in rpms[1:]:
                if stop.is_set():
                    return
                ingest_rpm(db, served.store, rpm, pid)
                published.extend(r.number for r in publish_project(db, served.store, pid).revisions)
        except BaseException as e:  # reported by the test below
            errors.append(e)

    thread = threading.Thread(target=publisher)
    thread.start()
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    rounds = 0
    try:
        while thread.is_alive() or rounds < 3:
            dnf(url, "makecache", "--refresh")
            q = dnf(url, "repoquery", "--qf", "%{name}-%{version}", "churn")
            assert 1 <= len(q.stdout.split()) <= 2  # keep: 2
            rounds += 1
    finally:
        stop.set()
        thread.join()
    assert not errors and len(published) >= 11 and rounds >= 3
    final = dnf(url, "repoquery", "--refresh", "--qf", "%{version}", "churn").stdout.split()
    assert sorted(final) == ["1.10", "1.11"]
