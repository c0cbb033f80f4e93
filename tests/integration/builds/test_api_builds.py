"""Builds through the real stack: import the example packages from a local dist-git, build them
in one batch in BuildRequires order (the Temporal workflows on a worker serving the build
queues), then the program's build root, a repeated NEVR, a scratch build, a missing worker, the
mock config and the CLI."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "packages"
PACKAGES = ("libgreet", "greet", "greet-doc")

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")


def _tree(pkg: str) -> dict[str, str | bytes | None]:  # path -> content
    root = EXAMPLES / pkg
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


SLEEPY = """Name: sleepy
Version: 1.0
Release: 1%{?dist}
Summary: a build that takes ten minutes
License: MIT
BuildArch: noarch
%description
Sleeps.
%prep
%build
echo sleeping now
sleep 600
%install
%files
"""


def _project(
    up: Path, name: str, arches: str = "[x86_64]", pkgs: tuple[str, ...] = PACKAGES
) -> str:
    listed = "\n".join(f"  - name: {p}" for p in pkgs)
    return f"""\
name: {name}
dist: .el9
arches: {arches}
vendor: {{family: el, major: 9}}
macros: {{vendor: Olivine, packager: "Olivine <build@example.org>"}}
upstream: {{kind: dist-git, url: "{up.as_uri()}/{{name}}.git", branch: c9}}
target: {{branch: r9}}
buildroot: {{host_provides: [gcc, make, glibc-devel]}}
packages:
{listed}
"""


def _seed(
    stack: Stack,
    tmp: Path,
    name: str,
    arches: str = "[x86_64]",
    pkgs: tuple[str, ...] = PACKAGES,
    broken: str | None = None,
) -> dict[str, str]:
    h = stack.as_(stack.admin_token)
    up = tmp / "up"
    for pkg in pkgs:
        tree = {"SPECS/sleepy.spec": SLEEPY} if pkg == "sleepy" else _tree(pkg)
        if pkg == broken:  # its %build fails
            spec = f"SPECS/{pkg}.spec"
            tree[spec] = str(tree[spec], "utf-8").replace("%build\n", "%build\nfalse\n")
        commit(init_repo(up / f"{pkg}.git", "c9"), tree, tag=f"imports/c9/{pkg}-1.0-1.el9")
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=h,
        json={"file": _project(up, name, arches, pkgs), "filename": "p.yaml", "wait": True},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    r = stack.client.post(f"/api/v1/projects/{name}/import-batch", headers=h, json={"all": True})
    assert r.status_code == 202, r.text
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"
    return h


def _wait(stack: Stack, task_id: int, timeout: float = 180) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = stack.client.get(f"/api/v1/tasks/{task_id}", headers=stack.as_(stack.admin_token))
        if t.json()["status"] in ("succeeded", "failed", "canceled"):
            return t.json()
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish")


def test_batch_builds_library_before_program_and_publishes(stack: Stack, tmp_path: Path) -> None:
    name = "bld1"
    h = _seed(stack, tmp_path, name)
    r = stack.client.post(f"/api/v1/projects/{name}/build-batch", headers=h, json={"all": True})
    assert r.status_code == 202, r.text
    batch = r.json()
    task = _wait(stack, batch["task_id"], 300)
    assert task["status"] == "succeeded", task
    final = stack.client.get(f"/api/v1/build-batches/{batch['batch_id']}", headers=h).json()
    assert {i["package"]: i["status"] for i in final["items"]} == dict.fromkeys(PACKAGES, "built")

    greet_task = next(i["task_id"] for i in final["items"] if i["package"] == "greet")
    build_id = stack.client.get(f"/api/v1/tasks/{greet_task}", headers=h).json()["result"][
        "build_id"
    ]
    b = stack.client.get(f"/api/v1/builds/{build_id}", headers=h).json()
    assert b["status"] == "complete" and b["nevr"] == "greet-1.0-1.el9"
    (x86,) = b["arches"]
    devel = next(e for e in x86["buildroot"] if e.get("nevra", "").startswith("libgreet-devel"))
    assert devel["repo"] == "all" and len(devel["sha256"]) == 64
    logs = stack.client.get(f"/api/v1/tasks/{x86['task_id']}/logs", headers=h)
    assert "Build root:" in logs.text and "libgreet-devel" in logs.text

    # the same NEVR again: refused; a scratch build of it is fine and publishes nothing
    r = stack.client.post(f"/api/v1/projects/{name}/builds", headers=h, json={"package": "greet"})
    again = _wait(stack, r.json()["task_id"], 120)
    assert again["status"] == "failed" and "already built" in again["error"]
    refused = stack.client.get(f"/api/v1/builds/{r.json()['build_id']}", headers=h).json()
    assert refused["status"] == "failed" and "already built" in refused["reason"]
    r = stack.client.post(
        f"/api/v1/projects/{name}/builds", headers=h, json={"package": "greet-doc", "scratch": True}
    )
    scratch = _wait(stack, r.json()["task_id"], 120)
    assert scratch["status"] == "succeeded" and scratch["result"]["scratch"]
    files = stack.client.get(f"/api/v1/builds/{r.json()['build_id']}/files", headers=h).json()
    assert [f["name"] for f in files] == [
        "greet-doc-1.0-1.el9.src.rpm",
        "greet-doc-1.0-1.el9.noarch.rpm",
    ]
    path = "/objects/" + files[1]["url"].split("/objects/", 1)[1]
    got = stack.client.get(path)
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == files[1]["sha256"]

    # a batch of what is already built: refused items, their builds failed, no retry (422)
    r = stack.client.post(
        f"/api/v1/projects/{name}/build-batch", headers=h, json={"packages": ["greet"]}
    )
    _wait(stack, r.json()["task_id"], 120)
    bid = r.json()["batch_id"]
    (item,) = stack.client.get(f"/api/v1/batches/{bid}", headers=h).json()["items"]
    assert item["status"] == "failed" and "already built" in item["reason"]
    refused_build = stack.client.get(f"/api/v1/tasks/{item['task_id']}", headers=h).json()
    assert refused_build["status"] == "failed" and "already built" in refused_build["error"]
    again = stack.client.post(f"/api/v1/batches/{bid}/retry", headers=h)
    assert again.status_code == 422 and "nothing a retry can change" in again.text, again.text

    debug = stack.client.get(f"/repos/{name}/all/x86_64-debug/repodata/repomd.xml")
    assert debug.status_code == 200
    href = re.search(r'<location href="([^"]*primary[^"]*)"', debug.text)
    assert href is not None
    primary = stack.client.get(f"/repos/{name}/all/x86_64-debug/{href.group(1)}").content
    text = gzip.decompress(primary).decode() if href.group(1).endswith(".gz") else ""
    assert "<name>libgreet-debuginfo</name>" in text  # in the -debug repo
    cfg = stack.client.get(f"/api/v1/projects/{name}/mock-config/x86_64", headers=h).text
    assert f"/repos/{name}/all/x86_64/" in cfg and "config_opts['macros']['%rhel'] = '9'" in cfg


def test_batch_goes_on_past_a_failure_and_skips_its_dependents(
    stack: Stack, tmp_path: Path
) -> None:
    name = "bld5"
    h = _seed(stack, tmp_path, name, broken="libgreet")
    r = stack.client.post(f"/api/v1/projects/{name}/build-batch", headers=h, json={"all": True})
    task = _wait(stack, r.json()["task_id"], 300)
    assert task["status"] == "succeeded"  # the batch ran to its end
    final = stack.client.get(f"/api/v1/build-batches/{r.json()['batch_id']}", headers=h).json()
    items = {i["package"]: i for i in final["items"]}
    assert items["greet-doc"]["status"] == "built"
    assert items["libgreet"]["status"] == "failed"
    assert "%build failed at line" in items["libgreet"]["reason"]
    assert items["greet"]["status"] == "skipped"
    assert items["greet"]["reason"] == "dependency libgreet did not build"
    r = stack.client.post(f"/api/v1/build-batches/{final['batch_id']}/retry", headers=h)
    assert r.status_code == 202
    assert sorted(i["package"] for i in r.json()["items"]) == ["greet", "libgreet"]
    _wait(stack, r.json()["task_id"], 300)


def test_arch_without_worker_fails_with_no_worker(stack: Stack, tmp_path: Path) -> None:
    name = "bld2"
    h = _seed(stack, tmp_path, name, arches="[x86_64, s390x]")
    stack.services.settings.build_worker_wait = 2  # type: ignore[misc]
    try:
        r = stack.client.post(
            f"/api/v1/projects/{name}/builds", headers=h, json={"package": "libgreet"}
        )
    finally:
        stack.services.settings.build_worker_wait = 900  # type: ignore[misc]
    task = _wait(stack, r.json()["task_id"], 120)
    assert task["status"] == "failed"
    assert "s390x: no worker: no s390x worker took the build within 2 s" in task["error"]
    b = stack.client.get(f"/api/v1/builds/{r.json()['build_id']}", headers=h).json()
    states = {a["arch"]: a["status"] for a in b["arches"]}
    assert b["status"] == "failed" and states["x86_64"] == "complete"


def test_cli_build_and_unimported_package(stack: Stack, tmp_path: Path, live_url: str) -> None:
    name = "bld3"
    _seed(stack, tmp_path, name)
    env = {**os.environ, "OLIVINE_URL": live_url, "OLIVINE_TOKEN": stack.admin_token}
    cli = [sys.executable, "-m", "olivine.cli"]
    out = subprocess.run(
        [*cli, "build", name, "greet-doc", "--wait"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "greet-doc-1.0-1.el9 complete" in out.stdout
    out = subprocess.run([*cli, "build", name, "nope"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "not in the catalog" in out.stderr
    out = subprocess.run(
        [*cli, "mock-config", name, "aarch64"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 1 and "does not build aarch64" in out.stderr  # arches: [x86_64]
    out = subprocess.run(
        [*cli, "mock-config", name, "x86_64"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and "olivine-bld3-x86_64" in out.stdout


def test_cancel_stops_the_sandbox(stack: Stack, tmp_path: Path) -> None:
    name = "bld4"
    h = _seed(stack, tmp_path, name, pkgs=("sleepy",))
    r = stack.client.post(f"/api/v1/projects/{name}/builds", headers=h, json={"package": "sleepy"})
    started = r.json()
    end = time.monotonic() + 120
    arch_task = None
    while time.monotonic() < end:
        task = stack.client.get(f"/api/v1/tasks/{started['task_id']}", headers=h).json()
        kids = [k for k in task.get("subtasks", []) or task.get("children", []) if k.get("arch")]
        if kids:
            arch_task = kids[0]["id"]
            logs = stack.client.get(f"/api/v1/tasks/{arch_task}/logs", headers=h).text
            if "sleeping now" in logs:
                break
        time.sleep(0.3)
    else:
        raise AssertionError("the build never reached its %build")
    assert _sleepers() != []
    r = stack.client.post(f"/api/v1/tasks/{started['task_id']}/cancel", headers=h)
    assert r.status_code == 200, r.text
    cancelled_at = time.monotonic()
    while _sleepers() and time.monotonic() - cancelled_at < 10:
        time.sleep(0.2)
    assert _sleepers() == [], "a process of the build outlived the cancel by 10 s"
    task = _wait(stack, started["task_id"], 60)
    assert task["status"] == "canceled"
    end = time.monotonic() + 30
    while time.monotonic() < end:
        b = stack.client.get(f"/api/v1/builds/{started['build_id']}", headers=h).json()
        if b["status"] == "canceled":
            break
        time.sleep(0.3)
    assert b["status"] == "canceled"


def _sleepers() -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "cmdline").read_bytes() == b"sleep\x00600\x00":
                    out.append(int(p.name))
            except OSError:
                pass
    return out
