"""A module that buildrequires another module's stream builds against that stream's packages
(and those of the streams it requires at run time, recursively, as MBS); a module's packages
are never in the `all` repository, so a non-modular build cannot take them (module-filtered,
as dnf would hide them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from olivine.imports.service import ProjectRef
from olivine.projects.schema import ProjectFile
from olivine.projects.service import ProjectService
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo
from tests.integration.modules.test_module_e2e import T1, T2, _build_module, _import, _wait
from tests.integration.modules.upstream import (
    COMPONENTS,
    _spec,
    project_spec,
    write_components,
    write_module,
)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")

APP = """\
document: modulemd
version: 2
data:
  name: app
  stream: "1"
  summary: A module built against demo:1
  description: Its component BuildRequires liba-devel, which only demo:1 has.
  license:
    module: [MIT]
  dependencies:
  - buildrequires: {platform: [el9], demo: ["1"]}
    requires: {platform: [el9], demo: ["1"]}
  components:
    rpms:
      appc: {rationale: the application, ref: r9}
"""
APPC = _spec("appc", "1.0", """
%install
mkdir -p %{buildroot}/usr/share/appc
cat /usr/share/liba/devel-version > %{buildroot}/usr/share/appc/built-against

%files
/usr/share/appc
""", extra="BuildRequires: liba-devel\n")  # fmt: skip


def test_module_buildrequires_and_hidden_from_non_modular(
    stack: Stack, tmp_path: Path, live_url: str
) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    write_module(up, "1", T2)
    commit(init_repo(up / "appc.git", branch="c9"), {"SPECS/appc.spec": APPC}, date=T1)
    commit(init_repo(up / "app.git", branch="stream-1"), {"SOURCES/modulemd.src.txt": APP},
           date=T2)  # fmt: skip
    extra = ({"name": "appc"}, {"name": "app", "upstream": {"branch": "stream-1"}})
    pf = ProjectFile(**project_spec(up, "moddeps", "stream-1", extra))
    ref = ProjectRef(ProjectService(stack.services.db).apply(pf, None).project_id, pf)
    _import(stack, ref, *COMPONENTS, "demo", "appc", "app")
    _build_module(stack, "moddeps", "demo:1")

    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/moddeps/builds", headers=h, json={"package": "appc"})
    plain = _wait(stack, r.json()["task_id"])
    assert plain["status"] == "failed"
    assert "missing BuildRequires liba-devel" in plain["error"], plain["error"]

    _build_module(stack, "moddeps", "app:1")
    view = stack.client.get("/api/v1/projects/moddeps/modules/app/1", headers=h).json()
    [ctx] = view["contexts"]
    assert ctx["status"] == "complete"
    assert ctx["buildrequires"] == {"demo": "1", "platform": "el9.4.0"}
    assert ctx["requires"] == {"demo": ["1"], "platform": ["el9"]}

    _cli(stack, live_url, ctx["nsvc"])


def _cli(stack: Stack, live_url: str, nsvc: str) -> None:
    env = {**os.environ, "OLIVINE_URL": live_url, "OLIVINE_TOKEN": stack.admin_token}
    cli = [sys.executable, "-m", "olivine.cli"]
    out = subprocess.run([*cli, "module", "list", "moddeps"], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert f"{nsvc}  complete" in out.stdout and "demo:1:" in out.stdout
    out = subprocess.run([*cli, "module", "show", "moddeps", "app:1"], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert "group 1: appc complete" in out.stdout
    [line] = [x for x in out.stdout.splitlines() if "group 1: appc" in x]
    assert re.search(r"build \d+  task \d+  commit [0-9a-f]{12}$", line), line  # its build task
    out = subprocess.run([*cli, "module", "build", "moddeps", "demo:1"], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 1 and "same NSVC" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def _md(name: str, summary: str, brs: str, reqs: str, component: str) -> str:
    return f"""\
document: modulemd
version: 2
data:
  name: {name}
  stream: "1"
  summary: {summary}
  description: {summary}.
  license:
    module: [MIT]
  dependencies:
  - buildrequires: {{platform: [el9]{brs}}}
    requires: {{platform: [el9]{reqs}}}
  components:
    rpms:
      {component}: {{rationale: the component, ref: r9}}
"""


def test_buildrequired_streams_runtime_requires_are_in_the_build_root(
    stack: Stack, tmp_path: Path
) -> None:
    """top:1 buildrequires mid:1 only; mid:1 requires demo:1 at run time, so (as MBS makes its
    build roots) top's component gets demo:1's liba-devel."""
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    write_module(up, "1", T2)
    commit(init_repo(up / "appc.git", branch="c9"), {"SPECS/appc.spec": APPC}, date=T1)
    mid = _md("mid", "Needs demo 1 at run time", "", ', demo: ["1"]', "libb")
    top = _md("top", "Built against mid 1", ', mid: ["1"]', ', mid: ["1"]', "appc")
    for name, text in (("mid", mid), ("top", top)):
        commit(init_repo(up / f"{name}.git", branch="stream-1"),
               {"SOURCES/modulemd.src.txt": text}, date=T2)  # fmt: skip
    extra = (
        {"name": "appc"},
        {"name": "mid", "upstream": {"branch": "stream-1"}},
        {"name": "top", "upstream": {"branch": "stream-1"}},
    )
    pf = ProjectFile(**project_spec(up, "modreq", "stream-1", extra))
    ref = ProjectRef(ProjectService(stack.services.db).apply(pf, None).project_id, pf)
    _import(stack, ref, *COMPONENTS, "demo", "appc", "mid", "top")
    _build_module(stack, "modreq", "demo:1")
    _build_module(stack, "modreq", "mid:1")
    _build_module(stack, "modreq", "top:1")

    h = stack.as_(stack.admin_token)
    [ctx] = stack.client.get("/api/v1/projects/modreq/modules/top/1", headers=h).json()["contexts"]
    assert ctx["buildrequires"] == {"mid": "1", "platform": "el9.4.0"}
    [comp] = ctx["components"]
    build = stack.client.get(f"/api/v1/builds/{comp['build_id']}", headers=h).json()
    root = {e["nevra"]: e["repo"] for a in build["arches"] for e in a["buildroot"]
            if e.get("kind") == "rpm"}  # fmt: skip
    [devel] = [n for n in root if n.startswith("liba-devel-1.0-1.module+el9.4.0+")]
    assert root[devel] == "module-groups"
