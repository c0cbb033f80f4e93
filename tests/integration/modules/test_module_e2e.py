"""A module of the tests' own, from import to `dnf module`: two streams of `demo` (three
components in two build groups; tool, in the second, BuildRequires liba-devel from the first)
built through the real stack (Temporal, worker, rpmbuild in bubblewrap), published in one
repository with stream 1 as the default; Debian's dnf in an empty root lists, enables, installs
and switches streams, and a non-modular libb of the same name stays hidden."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from olivine.fetch.policy import FetchPolicy
from olivine.imports.service import ProjectRef, run_import
from olivine.projects.schema import ProjectFile
from olivine.projects.service import ProjectService
from tests.integration.conftest import Stack
from tests.integration.modules.upstream import (
    COMPONENTS,
    project_spec,
    write_components,
    write_module,
)
from tests.integration.repos.conftest import Dnf
from tests.unit.modules.strict import strict_ok

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or shutil.which("dnf") is None, reason="bwrap or dnf missing"
)
T1, T2, T3, T4 = 1_700_000_000, 1_700_000_100, 1_700_000_200, 1_700_000_300


def _wait(stack: Stack, task_id: int, timeout: float = 600) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = stack.client.get(f"/api/v1/tasks/{task_id}", headers=stack.as_(stack.admin_token))
        if t.json()["status"] in ("succeeded", "failed", "canceled"):
            return t.json()
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} did not finish")


def _project(stack: Stack, up: Path, name: str) -> ProjectRef:
    pf = ProjectFile(**project_spec(up, name, "stream-1"))
    applied = ProjectService(stack.services.db).apply(pf, None)  # its catalog rows too
    return ProjectRef(applied.project_id, pf)


def _import(stack: Stack, ref: ProjectRef, *names: str) -> None:
    svc = stack.services
    for n in names:
        run_import(
            svc.db, svc.store, svc.forge, ref, n, policy=FetchPolicy.from_settings(svc.settings)
        )


def _build_module(stack: Stack, project: str, module: str) -> dict[str, Any]:
    h = stack.as_(stack.admin_token)
    r = stack.client.post(f"/api/v1/projects/{project}/modules/builds", headers=h,
                          json={"module": module})  # fmt: skip
    assert r.status_code == 202, r.text
    task = _wait(stack, r.json()["task_id"])
    assert task["status"] == "succeeded", task.get("error")
    return r.json()


def _installed(dnf: Dnf) -> list[str]:
    out = subprocess.run(
        ["rpm", "--root", str(dnf.root), "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NVR}\n"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.split())


def _file(dnf: Dnf, path: str) -> str:
    return (dnf.root / path.lstrip("/")).read_text().strip()


def test_two_streams_built_in_order_published_and_used_by_dnf(
    stack: Stack, tmp_path: Path, live_url: str, dnf: Dnf
) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    write_module(up, "1", T2)
    ref = _project(stack, up, "modproj")
    _import(stack, ref, *COMPONENTS, "demo")
    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/modproj/builds", headers=h, json={"package": "libb"})
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"  # non-modular libb 1.0

    write_components(up, "2.0", T3)
    _import(stack, ref, *COMPONENTS)
    write_module(up, "2", T4)
    stream2 = ProjectFile(**project_spec(up, "modproj", "stream-2"))
    _import(stack, ProjectRef(ref.id, stream2), "demo")

    _build_module(stack, "modproj", "demo:1")
    _build_module(stack, "modproj", "demo:2")

    again = stack.client.post("/api/v1/projects/modproj/modules/builds", headers=h,
                              json={"module": "demo:1"})  # fmt: skip
    assert again.status_code == 409 and "same NSVC" in again.text

    streams = stack.client.get("/api/v1/projects/modproj/modules", headers=h).json()
    assert [(s["name"], s["stream"]) for s in streams] == [("demo", "1"), ("demo", "2")]
    one = streams[0]["contexts"][0]
    stamp = datetime.fromtimestamp(T2, UTC).strftime("%Y%m%d%H%M%S")
    assert one["version"] == f"90400{stamp}" and one["status"] == "complete"
    assert re.fullmatch(r"\.module\+el9\.4\.0\+\d+\+[0-9a-f]{8}", one["dist_tag"])
    groups = {c["name"]: c["group"] for c in one["components"]}
    assert groups == {"liba": 0, "libb": 0, "tool": 1}

    page = stack.client.get("/projects/modproj/modules")
    assert page.status_code == 200 and one["nsvc"] in page.text and "Modules" in page.text
    page = stack.client.get("/projects/modproj/modules/demo/1")
    assert page.status_code == 200 and "liba" in page.text and one["dist_tag"] in page.text

    repo = f"{live_url}/repos/modproj/AppStream/x86_64/"
    _check_metadata(repo)
    platform = "--setopt=module_platform_id=platform:el9"
    listed = dnf(repo, platform, "module", "list").stdout
    assert re.search(r"^demo\s+1 \[d\]", listed, re.M), listed
    assert re.search(r"^demo\s+2\s", listed, re.M), listed
    assert "demo-devel" in listed

    dnf(repo, platform, "module", "enable", "demo:2")
    dnf(repo, platform, "install", "tool")
    installed = _installed(dnf)
    assert any(n.startswith("tool-2.0-1.module+el9.4.0+") for n in installed), installed
    assert any(n.startswith("liba-2.0-1.module+el9.4.0+") for n in installed), installed
    assert _file(dnf, "/usr/share/tool/built-against") == "liba-devel 2.0"  # group 1's result
    label, name, stream, flavour = _file(dnf, "/usr/share/tool/module").split("|")
    assert label == streams[1]["contexts"][0]["nsvc"] and (name, stream) == ("demo", "2")
    assert flavour == "flavour-2"  # buildopts.rpms.macros

    q = dnf(repo, platform, "repoquery", "--qf", "%{name}-%{version}-%{release}", "libb").stdout
    assert "libb-1.0-1.el9" not in q and "libb-2.0-1.module" in q  # the non-modular one hidden
    raw = dnf(repo, platform, "repoquery", "--disable-modular-filtering", "--qf",
              "%{name}-%{version}-%{release}", "libb").stdout  # fmt: skip
    assert "libb-1.0-1.el9" in raw  # but published beside the module's

    dnf(repo, platform, "module", "switch-to", "demo:1")
    installed = _installed(dnf)
    assert any(n.startswith("tool-1.0-1.module+el9.4.0+") for n in installed), installed
    assert _file(dnf, "/usr/share/tool/built-against") == "liba-devel 1.0"


def _check_metadata(repo: str) -> None:
    repomd = httpx.get(repo + "repodata/repomd.xml").text
    href = re.search(r'<data type="modules">.*?href="([^"]+)"', repomd, re.S)
    assert href, repomd
    text = gzip.decompress(httpx.get(repo + href.group(1), follow_redirects=True).content).decode()
    assert strict_ok(text) == (True, "")
    assert "document: modulemd-defaults" in text and "name: demo-devel" in text
