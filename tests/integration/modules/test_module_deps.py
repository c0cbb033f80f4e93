"""A module that buildrequires another module's stream builds against that stream's packages;
once a module build is complete its packages leave the `all` repository, so a non-modular
build cannot take them (module-filtered, as dnf would hide them)."""

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
