"""Applying a project file whose repository filters or groups changed republishes the affected
repositories through the project's publisher, with no build: the real CLI (which sends the comps
file with the project file), app, worker, Temporal and dnf."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from olivine.db.models import Task
from olivine.projects.service import ProjectService
from olivine.repos.service import ingest_rpm, list_revisions
from tests.integration.conftest import Stack
from tests.integration.repos.conftest import Dnf, RpmFactory

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")

ROOT = Path(__file__).resolve().parents[3]
COMPS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>greeters</id>
    <name>Greeting Tools</name>
    <description>Programs that greet.</description>
    <default>true</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">hello</packagereq>
    </packagelist>
  </group>
</comps>
"""
PROJECT = """\
name: grp
arches: [x86_64]
upstream: {{kind: dist-git, url: "https://git.example.org/rpms/{{name}}.git", branch: c9}}
repositories:
  - name: BaseOS
    include: {{"*": [{include}]}}
    groups: comps/base.xml
  - name: AppStream
packages:
  - name: hello
"""
REPOMD = "/repos/grp/BaseOS/x86_64/repodata/repomd.xml"


def olivine(url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv/bin/olivine"), "--url", url, "--token", token, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": "/nonexistent"},
    )


def write_project(d: Path, include: str, comps: str = COMPS) -> Path:
    (d / "comps").mkdir(exist_ok=True)
    (d / "comps" / "base.xml").write_text(comps)
    (d / "grp.yaml").write_text(PROJECT.format(include=include))
    return d / "grp.yaml"


def served(stack: Stack, old: str | None) -> str:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        r = stack.client.get(REPOMD)
        if r.status_code == 200 and r.headers["etag"] != old:
            return r.text
        time.sleep(0.1)
    raise AssertionError(f"{REPOMD} was not republished")


def etag(stack: Stack) -> str:
    return stack.client.get(REPOMD).headers["etag"]


def test_groups_and_filter_changes_republish_without_a_build(
    stack: Stack, live_url: str, dnf: Dnf, make_rpm: RpmFactory, tmp_path: Path
) -> None:
    svc, token = stack.services, stack.admin_token
    project_file = write_project(tmp_path, '"hello*"')
    out = olivine(live_url, token, "project", "apply", str(project_file))
    assert out.returncode == 0, out.stderr
    pid = ProjectService(svc.db).get("grp").id
    for name in ("hello", "world"):
        ingest_rpm(svc.db, svc.store, make_rpm(name, "1.0"), pid)

    # the first apply had nothing to publish; RPMs entered without a publish, then a widened
    # filter: the apply republishes, no build
    assert stack.client.get(REPOMD).status_code == 404
    before = None
    out = olivine(live_url, token, "project", "apply", str(write_project(tmp_path, '"*"')))
    assert out.returncode == 0, out.stderr
    assert "changed repository BaseOS" in out.stdout
    repomd = served(stack, before)
    assert 'type="group"' in repomd and 'type="group_gz"' in repomd
    url = f"{live_url}/repos/grp/BaseOS/x86_64/"
    groups = dnf(url, "group", "list", "--refresh")
    assert "Greeting Tools" in groups.stdout, groups.stdout
    members = dnf(url, "repoquery", "--groupmember", "hello")
    assert "greeters" in members.stdout, members.stdout
    names = dnf(url, "repoquery", "--qf", "%{name}").stdout.split()
    assert sorted(names) == ["hello", "world"]
    with svc.db.session() as s:
        assert s.query(Task).filter(Task.kind.like("build%")).count() == 0

    # narrowing the filter takes world out again; AppStream (unchanged filters) gets no revision
    appstream = len(list_revisions(svc.db, "grp", "AppStream", "x86_64"))
    before = etag(stack)
    out = olivine(live_url, token, "project", "apply", str(write_project(tmp_path, '"hello*"')))
    assert out.returncode == 0, out.stderr
    served(stack, before)
    names = dnf(url, "repoquery", "--refresh", "--qf", "%{name}").stdout.split()
    assert names == ["hello"]
    assert len(list_revisions(svc.db, "grp", "AppStream", "x86_64")) == appstream

    # a changed comps file alone republishes too
    before = etag(stack)
    renamed = COMPS.replace("Greeting Tools", "Salutation Tools")
    out = olivine(
        live_url, token, "project", "apply", str(write_project(tmp_path, '"hello*"', renamed))
    )
    assert out.returncode == 0, out.stderr
    assert "changed groups of repository BaseOS" in out.stdout
    served(stack, before)
    assert "Salutation Tools" in dnf(url, "group", "list", "--refresh").stdout


def test_bad_or_missing_comps_is_refused_with_its_reason(
    stack: Stack, live_url: str, tmp_path: Path
) -> None:
    token = stack.admin_token
    bad = olivine(
        live_url, token, "project", "apply", str(write_project(tmp_path, '"*"', "<comps><group>"))
    )
    assert bad.returncode != 0
    assert "comps/base.xml:1:" in bad.stderr and "not well-formed" in bad.stderr
    wrong_root = write_project(tmp_path, '"*"', "<groups/>")
    out = olivine(live_url, token, "project", "apply", str(wrong_root))
    assert out.returncode != 0 and "root element is <groups>, not <comps>" in out.stderr
    r = stack.client.post(  # an API caller that does not send the file's content
        "/api/v1/projects/apply",
        json={"file": PROJECT.format(include='"*"'), "filename": "grp.yaml"},
        headers=stack.as_(token),
    )
    assert r.status_code == 422 and "comps/base.xml" in r.json()["detail"], r.text
    (tmp_path / "comps" / "base.xml").unlink()
    out = olivine(live_url, token, "project", "apply", str(tmp_path / "grp.yaml"))
    assert out.returncode != 0 and "cannot read the groups file comps/base.xml" in out.stderr
