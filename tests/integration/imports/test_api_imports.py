"""Imports through the real stack: the API starts Import / ImportBatch workflows on Temporal, a
worker runs them; the CLI against a live server; the result cloned from the forge over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo, spec_text


def project_yaml(up: Path, name: str) -> str:
    return f"""\
name: {name}
dist: .el9
vendor: {{family: el, major: 9}}
upstream: {{kind: dist-git, url: "{up.as_uri()}/{{name}}.git", branch: c9}}
target: {{branch: r9}}
packages:
  - name: hello
  - name: broken
"""


def seed(stack: Stack, tmp_path: Path, name: str) -> None:
    up = tmp_path / "up"
    commit(
        init_repo(up / "hello.git", "c9"),
        {"SPECS/hello.spec": spec_text(sources=())},
        tag="imports/c9/hello-1.0-1.el9",
    )
    commit(init_repo(up / "broken.git", "c9"), {"SPECS/broken.spec": "Name: broken\nbad line\n"})
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": project_yaml(up, name), "filename": "p.yaml", "wait": True},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text


def wait_task(stack: Stack, task_id: int, timeout: float = 60) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = stack.client.get(
            f"/api/v1/tasks/{task_id}", headers=stack.as_(stack.admin_token)
        ).json()
        if t["status"] in ("succeeded", "failed", "canceled"):
            return t
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish")


def test_import_history_diff_and_batch(stack: Stack, tmp_path: Path) -> None:
    seed(stack, tmp_path, "imp1")
    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/imp1/imports", headers=h, json={"package": "hello"})
    assert r.status_code == 202, r.text
    task = wait_task(stack, r.json()["task_id"])
    assert task["status"] == "succeeded", task
    assert task["result"]["nevr"] == "hello-1.0-1.el9"
    assert task["result"]["forge_tag"] == "imports/r9/hello-1.0-1.el9"
    logs = stack.client.get(f"/api/v1/tasks/{task['id']}/logs", headers=h).json()
    assert "import imported: hello-1.0-1.el9" in "".join(c["text"] for c in logs["chunks"])

    hist = stack.client.get("/api/v1/projects/imp1/packages/hello/imports", headers=h).json()
    assert [x["nevr"] for x in hist] == ["hello-1.0-1.el9"]
    diff = stack.client.get("/api/v1/projects/imp1/packages/hello/imports/diff", headers=h).json()
    assert diff == {"revision": hist[0]["id"], "nevr": "hello-1.0-1.el9", "diff": ""}

    r = stack.client.post("/api/v1/projects/imp1/import-batch", headers=h, json={"all": True})
    assert r.status_code == 202, r.text
    batch = r.json()
    done = wait_task(stack, batch["task_id"])
    assert done["status"] == "succeeded"
    final = stack.client.get(
        f"/api/v1/projects/imp1/import-batches/{batch['batch_id']}", headers=h
    ).json()
    by = {i["package"]: i for i in final["items"]}
    assert by["hello"]["status"] == "unchanged"
    assert (
        by["broken"]["status"] == "failed"
        and "broken.spec does not parse" in by["broken"]["reason"]
    )
    child = wait_task(stack, by["broken"]["task_id"])
    assert child["status"] == "failed" and child["parent_id"] == batch["task_id"]

    r = stack.client.post(
        "/api/v1/projects/imp1/import-batch", headers=h, json={"retry": batch["batch_id"]}
    )
    assert [i["package"] for i in r.json()["items"]] == ["broken"]
    r = stack.client.post("/api/v1/projects/imp1/imports", headers=h, json={"package": "nope"})
    assert r.status_code == 404


def test_import_needs_a_builder(stack: Stack, tmp_path: Path) -> None:
    seed(stack, tmp_path, "imp2")
    r = stack.client.post("/api/v1/projects/imp2/imports", json={"package": "hello"})
    assert r.status_code == 401
    guest = stack.token_for("someone")
    r = stack.client.post(
        "/api/v1/projects/imp2/imports", headers=stack.as_(guest), json={"package": "hello"}
    )
    assert r.status_code == 403


def test_cli_import_wait_history_and_clone(stack: Stack, live_url: str, tmp_path: Path) -> None:
    seed(stack, tmp_path, "imp3")
    env = {
        **os.environ,
        "OLIVINE_URL": live_url,
        "OLIVINE_TOKEN": stack.admin_token,
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "COLUMNS": "250",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "olivine.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = cli("import", "imp3", "hello", "--wait")
    assert out.returncode == 0, out.stderr
    assert "imported: hello-1.0-1.el9" in out.stdout
    out = cli("package", "history", "imp3", "hello")
    assert out.returncode == 0 and "hello-1.0-1.el9" in out.stdout
    out = cli("import", "diff", "imp3", "hello")
    assert out.returncode == 0 and "no difference: hello-1.0-1.el9" in out.stdout
    out = cli("import", "imp3", "broken", "--wait")
    assert out.returncode == 1 and "broken.spec does not parse" in out.stderr
    clone = tmp_path / "clone"
    git = subprocess.run(
        ["git", "clone", "-q", "-b", "r9", f"{live_url}/git/imp3/rpms/hello.git", str(clone)],
        capture_output=True,
        text=True,
    )
    assert git.returncode == 0, git.stderr
    assert (clone / "SPECS/hello.spec").is_file()


def test_srpm_upload(stack: Stack, tmp_path: Path) -> None:
    from tests.integration.imports.test_kinds_import import build_srpm

    seed(stack, tmp_path, "imp4")
    srpm = build_srpm(tmp_path)
    h = stack.as_(stack.admin_token)
    with open(srpm, "rb") as f:
        r = stack.client.post(
            "/api/v1/projects/imp4/imports/srpm",
            headers=h,
            data={"package": "hello"},
            files={"file": (srpm.name, f)},
        )
    assert r.status_code == 202, r.text
    task = wait_task(stack, r.json()["task_id"])
    assert task["status"] == "succeeded", task
    assert task["result"]["nevr"] == "hello-1.0-4.el9"
    assert task["result"]["upstream_kind"] == "srpm" and task["result"]["upstream_url"] == srpm.name
