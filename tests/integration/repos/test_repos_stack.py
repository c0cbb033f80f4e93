"""The whole path on the real app, worker and Temporal: `olivine rpm import` uploads, the
project's publisher workflow publishes, dnf installs from /repos/... (RPMs redirected to
/objects/...), and the CLI lists, diffs and rolls back revisions."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.repos.conftest import Dnf, RpmFactory

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")

ROOT = Path(__file__).resolve().parents[3]

PROJECT = """\
name: {name}
public: {public}
arches: [x86_64]
dist: .el9
upstream: {{kind: dist-git, url: "https://git.example.org/rpms/{{name}}.git", branch: c9}}
repositories:
  - name: BaseOS
    keep: all
packages:
  - name: hello
"""


def apply(stack: Stack, name: str, public: bool = True) -> None:
    text = PROJECT.format(name=name, public=str(public).lower())
    r = stack.client.post(
        "/api/v1/projects/apply",
        json={"file": text, "filename": f"{name}.yaml", "wait": True},
        headers=stack.as_(stack.admin_token),
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text


def cli(url: str, token: str, *args: str) -> str:
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/olivine"), "--url", url, "--token", token, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": "/nonexistent"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def etag(stack: Stack, path: str, headers: dict[str, str]) -> str | None:
    r = stack.client.get(path, headers=headers)
    return r.headers["etag"] if r.status_code == 200 else None


def wait_for_change(stack: Stack, path: str, old: str | None, headers: dict[str, str]) -> str:
    """Until the served repomd.xml is a new one (API processes cache it for up to a second)."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        new = etag(stack, path, headers)
        if new is not None and new != old:
            return new
        time.sleep(0.1)
    raise AssertionError(f"{path} did not change")


def test_rpm_import_publishes_and_dnf_installs(
    stack: Stack, live_url: str, dnf: Dnf, make_rpm: RpmFactory
) -> None:
    apply(stack, "seed")
    token = stack.admin_token
    out = cli(live_url, token, "rpm", "import", "seed", str(make_rpm("hello", "1.0")))
    assert "imported: hello-1.0-1.noarch" in out and "publish-seed" in out
    md = "/repos/seed/BaseOS/x86_64/repodata/repomd.xml"
    first = wait_for_change(stack, md, None, {})
    dnf(f"{live_url}/repos/seed/BaseOS/x86_64/", "install", "hello")

    cli(live_url, token, "rpm", "import", "seed", str(make_rpm("hello", "2.0")))
    second = wait_for_change(stack, md, first, {})
    dnf(f"{live_url}/repos/seed/BaseOS/x86_64/", "upgrade", "--refresh")
    q = dnf(f"{live_url}/repos/seed/BaseOS/x86_64/", "repoquery", "--qf", "%{version}", "hello")
    assert sorted(q.stdout.split()) == ["1.0", "2.0"]

    listing = cli(live_url, token, "repo", "list", "seed")
    assert "BaseOS: source r1, x86_64 r2, x86_64-debug r1" in listing
    assert "+ hello-2.0-1.noarch" in cli(
        live_url, token, "repo", "diff", "seed", "BaseOS", "x86_64", "1", "2"
    )
    assert "baseurl=" in cli(live_url, token, "repo", "file", "seed", "BaseOS")
    revisions = cli(live_url, token, "--json", "repo", "revisions", "seed", "BaseOS", "x86_64")
    assert '"number": 2' in revisions
    cli(live_url, token, "repo", "rollback", "seed", "BaseOS", "--to", "1", "--arch", "x86_64")
    assert wait_for_change(stack, md, second, {}) == first
    q = dnf(
        f"{live_url}/repos/seed/BaseOS/x86_64/",
        "repoquery",
        "--refresh",
        "--qf",
        "%{version}",
        "hello",
    )
    assert q.stdout.split() == ["1.0"]


def test_private_repo_with_credentials(
    stack: Stack, live_url: str, dnf: Dnf, make_rpm: RpmFactory
) -> None:
    apply(stack, "secret", public=False)
    cli(live_url, stack.admin_token, "rpm", "import", "secret", str(make_rpm("hello", "1.0")))
    md = "/repos/secret/BaseOS/x86_64/repodata/repomd.xml"
    wait_for_change(stack, md, None, stack.as_(stack.admin_token))
    assert stack.client.get(md).status_code == 401
    url = f"{live_url}/repos/secret/BaseOS/x86_64/"
    assert dnf(url, "repoquery", "hello", check=False).returncode != 0
    reader = stack.token_for("reader")
    assert dnf(url, "repoquery", "hello", check=False, creds=reader).returncode != 0  # no role
    dnf(url, "install", "hello", creds=stack.admin_token)


def test_publisher_batches_a_burst_of_requests(stack: Stack, make_rpm: RpmFactory) -> None:
    import asyncio

    from olivine.repos.service import ingest_rpm, list_revisions
    from olivine.workflows.client import connect
    from olivine.workflows.publish import PublishRequest, request_publish

    apply(stack, "burst")
    svc = stack.services
    with svc.db.session() as s:
        from olivine.db.models import Project

        pid = s.query(Project).filter_by(name="burst").one().id
    ids = [
        ingest_rpm(svc.db, svc.store, make_rpm(f"b{i}", "1.0"), pid).artifact_id for i in range(6)
    ]

    async def burst() -> None:
        client = await connect(svc.settings, attempts=5)
        for i in ids:
            await request_publish(client, "burst", PublishRequest([i], reason=f"artifact {i}"))

    asyncio.run(burst())
    end = time.monotonic() + 60
    while time.monotonic() < end:
        revs = list_revisions(svc.db, "burst", "BaseOS", "x86_64")
        if revs and revs[0].package_count == 6:
            break
        time.sleep(0.2)
    assert revs and revs[0].package_count == 6
    assert len(revs) < 6  # requests that arrived during a publish went into the next one
