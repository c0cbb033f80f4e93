"""A component that fails to build stops the later build groups; the module build ends failed
and says which component failed and why; nothing of it is published as a module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from olivine.db.models.modules import ModuleBuild
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit
from tests.integration.modules.test_module_e2e import T1, T2, _import, _project, _wait
from tests.integration.modules.upstream import COMPONENTS, write_components, write_module

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")


def test_failed_component_stops_later_groups(stack: Stack, tmp_path: Path) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    broken = (up / "libb.git" / "SPECS" / "libb.spec").read_text()
    broken = broken.replace("%install\n", "%install\necho libb cannot build >&2; exit 3\n")
    commit(up / "libb.git", {"SPECS/libb.spec": broken}, date=T1 + 1)
    write_module(up, "1", T2)
    ref = _project(stack, up, "modfail")
    _import(stack, ref, *COMPONENTS, "demo")

    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/modfail/modules/builds", headers=h,
                          json={"module": "demo:1"})  # fmt: skip
    assert r.status_code == 202, r.text
    task = _wait(stack, r.json()["task_id"])
    assert task["status"] == "failed"
    assert "component libb failed" in task["error"], task["error"]
    assert "1 later build group(s) not built" in task["error"]

    view = stack.client.get("/api/v1/projects/modfail/modules/demo/1", headers=h).json()
    [ctx] = view["contexts"]
    status = {c["name"]: c["status"] for c in ctx["components"]}
    assert status == {"liba": "complete", "libb": "failed", "tool": "skipped"}
    assert ctx["status"] == "failed"
    tool = next(c for c in ctx["components"] if c["name"] == "tool")
    build = stack.client.get(f"/api/v1/builds/{tool['build_id']}", headers=h).json()
    assert build["status"] == "failed" and build["reason"].startswith("not built:")
    with stack.services.db.session() as s:
        mb = s.get(ModuleBuild, r.json()["module_build_id"])
        assert mb is not None and mb.status == "failed" and "libb" in (mb.reason or "")

    retry = stack.client.post("/api/v1/projects/modfail/modules/builds", headers=h,
                              json={"module": "demo:1"})  # fmt: skip
    assert retry.status_code == 202  # a failed build frees its NSVC for another try
    assert _wait(stack, retry.json()["task_id"])["status"] == "failed"
    again = stack.client.get("/api/v1/projects/modfail/modules/demo/1", headers=h).json()
    nsvcs = [c["nsvc"] for c in again["contexts"]]
    assert nsvcs == [ctx["nsvc"], ctx["nsvc"]]  # the same imports give the same NSVC


def test_buildorder_cycle_through_buildrequires(stack: Stack, tmp_path: Path) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    spec = (up / "liba.git" / "SPECS" / "liba.spec").read_text()
    spec = spec.replace("BuildArch: noarch\n", "BuildArch: noarch\nBuildRequires: tool\n", 1)
    commit(up / "liba.git", {"SPECS/liba.spec": spec}, date=T1 + 1)
    write_module(up, "1", T2)
    ref = _project(stack, up, "modcycle")
    _import(stack, ref, *COMPONENTS, "demo")
    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/modcycle/modules/builds", headers=h,
                          json={"module": "demo:1"})  # fmt: skip
    task = _wait(stack, r.json()["task_id"])
    assert task["status"] == "failed"
    assert (
        "buildorder cycle: component liba (group 1) BuildRequires tool (group 2)" in (task["error"])
    ), task["error"]
    view = stack.client.get("/api/v1/projects/modcycle/modules/demo/1", headers=h).json()
    assert {c["status"] for c in view["contexts"][0]["components"]} == {"skipped"}


def test_bad_module_requests_are_refused(stack: Stack, tmp_path: Path) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    ref = _project(stack, up, "modbad")
    _import(stack, ref, *COMPONENTS)
    h = stack.as_(stack.admin_token)
    post = "/api/v1/projects/modbad/modules/builds"
    r = stack.client.post(post, headers=h, json={"module": "demo"})
    assert r.status_code == 422 and "NAME:STREAM" in r.text
    r = stack.client.post(post, headers=h, json={"module": "nosuch:1"})
    assert r.status_code == 404 and "not in the catalog" in r.text
    r = stack.client.post(post, headers=h, json={"module": "demo:1"})
    assert r.status_code == 404 and "has no import" in r.text
