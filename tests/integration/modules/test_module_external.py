"""A module that buildrequires a stream of an external repository's module (the pulp
assets-modularity fixtures: real Fedora module RPMs and their modules.yaml, in a repo made by
createrepo_c + modifyrepo_c): the worker reads the repo's modules document, the plan builds
against nodejs:10, and the component's BuildRequires resolve to nodejs:10's packages, not the
higher 11 nor the default 8, while a non-modular build of the same package gets the default
stream's; a dependency on a module nobody has, or on an unknown stream, fails naming it. Through
the whole module build the component's RPMs never enter `all`."""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from olivine.db.models import ProjectArtifact, Repository, RepositoryRevision
from olivine.db.models.repos import RepoChunk
from olivine.imports.service import ProjectRef
from olivine.projects.schema import ProjectFile
from olivine.projects.service import ProjectService
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo
from tests.integration.modules.extrepo import modular_repo
from tests.integration.modules.test_module_e2e import T1, T2, _build_module, _import, _wait
from tests.integration.modules.upstream import _spec

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")

APPC = _spec("appc", "1.0", """
%install
mkdir -p %{buildroot}/usr/share/appc
echo built > %{buildroot}/usr/share/appc/built

%files
/usr/share/appc
""", extra="BuildRequires: nodejs-devel\n")  # fmt: skip


def _modulemd(name: str, brs: str) -> str:
    return f"""\
document: modulemd
version: 2
data:
  name: {name}
  stream: "1"
  summary: A module built against an external module
  description: Its component BuildRequires nodejs-devel.
  license:
    module: [MIT]
  dependencies:
  - buildrequires: {{platform: [el9], {brs}}}
    requires: {{platform: [el9], {brs}}}
  components:
    rpms:
      appc: {{rationale: the application, ref: r9}}
"""


MODULES = {"app": 'nodejs: ["10"]', "nobody": 'nosuch: ["1"]', "odd": 'nodejs: ["99"]'}


def _project(up: Path, ext: Path) -> dict[str, Any]:
    return {
        "name": "modext",
        "arches": ["x86_64"],
        "dist": ".el9",
        "vendor": {"family": "el", "major": 9, "minor": 4},
        "target": {"branch": "r9"},
        "upstream": {"kind": "dist-git", "url": up.as_uri() + "/{name}.git", "branch": "c9"},
        "external_repos": [{"name": "fedora-modular", "url": ext.as_uri()}],
        "repositories": [{"name": "AppStream", "modules": ["app:*"]}],
        "packages": [
            {"name": "appc"},
            *({"name": m, "upstream": {"branch": "stream-1"}} for m in MODULES),
        ],
    }


def _in_all_ever(stack: Stack, build_id: int) -> set[int]:
    """The build's artifacts found in any revision `all` ever had."""
    with stack.services.db.session() as s:
        mine = set(
            s.scalars(
                select(ProjectArtifact.artifact_id).where(ProjectArtifact.build_id == build_id)
            )
        )
        assert mine
        chunks = [
            c["id"]
            for rev in s.scalars(
                select(RepositoryRevision)
                .join(Repository, Repository.id == RepositoryRevision.repository_id)
                .where(Repository.name == "all")
            )
            for c in rev.chunks or []
        ]
        held = {
            i
            for ids in s.scalars(select(RepoChunk.artifact_ids).where(RepoChunk.id.in_(chunks)))
            for i in ids
        }
    return mine & held


def _chosen(stack: Stack, build_id: int) -> set[str]:
    """The nodejs-devel the build's root took (from the external repository)."""
    build = stack.client.get(f"/api/v1/builds/{build_id}", headers=stack.as_(stack.admin_token))
    root = [e for a in build.json()["arches"] for e in a["buildroot"] if e.get("kind") == "rpm"]
    assert all(e["repo"] == "fedora-modular" for e in root if e["nevra"].startswith("nodejs"))
    return {e["nevra"] for e in root if e["nevra"].startswith("nodejs-devel-")}


def test_module_built_against_an_external_repos_module(stack: Stack, tmp_path: Path) -> None:
    ext = modular_repo(tmp_path / "fedora-modular", "xz")
    up = tmp_path / "up"
    commit(init_repo(up / "appc.git", branch="c9"), {"SPECS/appc.spec": APPC}, date=T1)
    for name, brs in MODULES.items():
        repo = init_repo(up / f"{name}.git", branch="stream-1")
        commit(repo, {"SOURCES/modulemd.src.txt": _modulemd(name, brs)}, date=T2)
    pf = ProjectFile(**_project(up, ext))
    ref = ProjectRef(ProjectService(stack.services.db).apply(pf, None).project_id, pf)
    _import(stack, ref, "appc", *MODULES)

    _build_module(stack, "modext", "app:1")
    h = stack.as_(stack.admin_token)
    view = stack.client.get("/api/v1/projects/modext/modules/app/1", headers=h).json()
    [ctx] = view["contexts"]
    assert ctx["status"] == "complete"
    assert ctx["buildrequires"] == {"nodejs": "10", "platform": "el9.4.0"}
    assert ctx["requires"] == {"nodejs": ["10"], "platform": ["el9"]}
    [comp] = ctx["components"]
    assert _chosen(stack, comp["build_id"]) == {
        "nodejs-devel-1:10.11.0-1.module_2200+adbac02b.x86_64"  # not 11's, nor the default 8's
    }
    assert _in_all_ever(stack, comp["build_id"]) == set()  # never in `all`, not even briefly

    r = stack.client.post("/api/v1/projects/modext/builds", headers=h, json={"package": "appc"})
    plain = _wait(stack, r.json()["task_id"])  # a non-modular build: the default stream, 8
    assert plain["status"] == "succeeded", plain.get("error")
    assert _chosen(stack, plain["result"]["build_id"]) == {
        "nodejs-devel-1:8.11.4-1.module_2030+42747d40.x86_64"
    }

    for module, reason in (
        ("nobody:1", "depends on module nosuch, which neither the project nor its external "
                     "repositories have"),
        ("odd:1", "depends on nodejs:99, an unknown stream (known: 10, 11, 5, 8)"),
    ):  # fmt: skip
        r = stack.client.post("/api/v1/projects/modext/modules/builds", headers=h,
                              json={"module": module})  # fmt: skip
        assert r.status_code == 202, r.text
        task = _wait(stack, r.json()["task_id"])
        assert task["status"] == "failed" and reason in task["error"], task["error"]
        page = stack.client.get("/projects/modext/modules").text  # failed before any context
        row = page[page.index(f'<th scope="row">{module}</th>') :].split("</tr>", 1)[0]
        assert "s-failed" in row and html.escape(reason) in row
        assert f'href="/tasks/{r.json()["task_id"]}"' in row
