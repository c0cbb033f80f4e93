"""What a release engineer sees of a build, through the real stack (Temporal dev server,
workers, rpmbuild in the sandbox): who canceled it (API, `olivine task show`, the task page),
`olivine build --follow` printing the arch build's log while it runs, and an SRPM step that
fails for any reason ending the build `failed` with that reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from tests.integration.builds.test_api_builds import _project, _seed, _sleepers, _wait
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo

from olivine.demo import DemoClient

CHATTY = """Name: chatty
Version: 1.0
Release: 1%{?dist}
Summary: a build that talks while it builds
License: MIT
BuildArch: noarch
%description
Talks.
%prep
%build
for i in 1 2 3 4 5 6; do echo "chatty line $i"; sleep 1; done
%install
%files
"""

TWOSPECS = CHATTY.replace("chatty", "twospecs").replace("for i in", "true || for i in")
ONLY_S390X = (
    CHATTY.replace("chatty", "exclusive")
    .replace("BuildArch: noarch", "ExclusiveArch: s390x")
    .replace("for i in", "true || for i in")
)
NOSOURCE = (
    CHATTY.replace("chatty", "nosource")
    .replace("BuildArch: noarch", "BuildArch: noarch\nSource0: nosource-1.0.tar.gz")
    .replace("for i in", "true || for i in")
)


def _seed_specs(stack: Stack, tmp: Path, name: str, trees: dict[str, dict[str, str]]) -> None:
    """A project whose packages are these dist-git trees (path -> text), all imported."""
    h = stack.as_(stack.admin_token)
    up = tmp / "up"
    for pkg, tree in trees.items():
        commit(init_repo(up / f"{pkg}.git", "c9"), dict(tree), tag=f"imports/c9/{pkg}-1.0-1.el9")
    yaml = _project(up, name, "[x86_64]", tuple(trees))
    r = stack.client.post(
        "/api/v1/projects/apply", headers=h, json={"file": yaml, "filename": "p.yaml", "wait": True}
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    r = stack.client.post(f"/api/v1/projects/{name}/import-batch", headers=h, json={"all": True})
    assert r.status_code == 202, r.text
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"


def _cli(stack: Stack, url: str, token: str | None = None) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "OLIVINE_URL": url, "OLIVINE_TOKEN": token or stack.admin_token}
    return [sys.executable, "-m", "olivine.cli"], env


def _arch_task_running(stack: Stack, task_id: int, marker: str) -> int:
    """Wait until the build's arch task has written `marker`; its id."""
    h = stack.as_(stack.admin_token)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        task = stack.client.get(f"/api/v1/tasks/{task_id}", headers=h).json()
        for kid in task.get("children") or []:
            if kid.get("arch"):
                text = stack.client.get(f"/api/v1/tasks/{kid['id']}/logs", headers=h).text
                if marker in text:
                    return int(kid["id"])
        time.sleep(0.3)
    raise AssertionError(f"the build never wrote {marker!r}")


def test_cancel_records_who_canceled_on_the_build_and_its_arches(
    stack: Stack, tmp_path: Path, live_url: str
) -> None:
    name = "who1"
    h = _seed(stack, tmp_path, name, pkgs=("sleepy",))
    carol = stack.token_for("carol", admin=True)  # not the submitter (admin)
    r = stack.client.post(f"/api/v1/projects/{name}/builds", headers=h, json={"package": "sleepy"})
    started = r.json()
    arch_task = _arch_task_running(stack, started["task_id"], "sleeping now")
    running = stack.client.get(f"/api/v1/tasks/{started['task_id']}", headers=h).json()
    assert running["canceled_by"] is None
    r = stack.client.post(f"/api/v1/tasks/{arch_task}/cancel", headers=stack.as_(carol))
    assert r.status_code == 200, r.text
    task = _wait(stack, started["task_id"], 60)
    assert task["status"] == "canceled" and task["submitter"] == "admin"
    assert task["canceled_by"] == "carol"
    (kid,) = task["children"]
    assert kid["status"] == "canceled" and kid["canceled_by"] == "carol"
    end = time.monotonic() + 10
    while _sleepers() and time.monotonic() < end:
        time.sleep(0.2)
    assert _sleepers() == []

    cli, env = _cli(stack, live_url)
    out = subprocess.run([*cli, "task", "show", str(task["id"])], env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert f"{task['id']} build {name} sleepy — canceled by carol" in lines[0]
    assert f"{arch_task} build-arch [noarch] {name} sleepy — canceled by carol" in lines[1]

    page = stack.client.get(f"/tasks/{task['id']}").text  # a visitor of the public project
    assert '<dt>Canceled by</dt><dd class="canceled-by">carol</dd>' in page
    assert f'href="/tasks/{arch_task}"' in page
    assert page.count('<small class="canceled-by">by carol</small>') == 1  # the arch subtask
    child_page = stack.client.get(f"/tasks/{arch_task}").text
    assert '<dd class="canceled-by">carol</dd>' in child_page
    build_page = stack.client.get(f"/projects/{name}/builds/{started['build_id']}").text
    assert 'Canceled by <span class="canceled-by">carol</span>' in build_page


def test_build_follow_prints_the_arch_build_log_while_it_runs(
    stack: Stack, tmp_path: Path, live_url: str
) -> None:
    name = "follow1"
    _seed_specs(stack, tmp_path, name, {"chatty": {"SPECS/chatty.spec": CHATTY}})
    cli, env = _cli(stack, live_url)
    proc = subprocess.Popen([*cli, "build", name, "chatty", "--wait", "--follow"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []
    status_when_first_line = None
    for line in proc.stdout:
        seen.append(line)
        if "chatty line 1" in line and status_when_first_line is None:
            status_when_first_line = _build_task_status(stack, name)
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    text = "".join(seen)
    assert status_when_first_line == "running", text  # printed live, not after the end
    for i in range(1, 7):
        assert f"[noarch] chatty line {i}\n" in text, text
    assert "SRPM chatty-1.0-1.el9.src.rpm: arches noarch" in text  # the build task's own log
    assert "[noarch] noarch: built 1 RPMs" in text
    assert "task" in text and "succeeded" in text and "chatty-1.0-1.el9 complete" in text
    assert text.index("chatty line 1") < text.index("chatty line 6")

    # the command a started build points to follows its arch build too
    out = subprocess.run([*cli, "build", name, "chatty", "--scratch"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0 and "task logs" in out.stdout, out.stderr
    task_id = out.stdout.split("task logs ")[1].split()[0]
    proc = subprocess.Popen([*cli, "task", "logs", task_id, "--follow"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    live = None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "chatty line 2" in line and live is None:
            live = _task_status(stack, int(task_id))
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    assert live == "running" and "[noarch] chatty line 6\n" in "".join(seen), seen

    # with --json the logs go to stderr: stdout stays one JSON answer
    out = subprocess.run([*cli, "build", name, "chatty", "--scratch", "--follow", "--json"],
                         env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "complete"
    assert "[noarch] chatty line 6\n" in out.stderr


def _task_status(stack: Stack, task_id: int) -> str:
    h = stack.as_(stack.admin_token)
    return str(stack.client.get(f"/api/v1/tasks/{task_id}", headers=h).json()["status"])


def _build_task_status(stack: Stack, project: str) -> str:
    h = stack.as_(stack.admin_token)
    builds = stack.client.get(f"/api/v1/projects/{project}/builds", headers=h).json()["items"]
    return _task_status(stack, builds[0]["task_id"])


def test_an_srpm_step_that_fails_ends_the_build_failed_with_its_reason(
    stack: Stack, tmp_path: Path, live_url: str
) -> None:
    name = "srpmfail1"
    trees = {
        # two specs: the build takes SPECS/twospecs.spec, as the import did
        "twospecs": {"SPECS/twospecs.spec": TWOSPECS, "SPECS/other.spec": CHATTY},
        "nosource": {"SPECS/nosource.spec": NOSOURCE},  # Source0 is in no tree or lookaside
        "exclusive": {"SPECS/exclusive.spec": ONLY_S390X},  # no arch of the project
    }
    _seed_specs(stack, tmp_path, name, trees)
    h = stack.as_(stack.admin_token)
    ended: dict[str, dict[str, Any]] = {}
    for pkg in trees:
        r = stack.client.post(f"/api/v1/projects/{name}/builds", headers=h, json={"package": pkg})
        assert r.status_code == 202, r.text
        task = _wait(stack, r.json()["task_id"], 120)
        assert task["status"] == ("succeeded" if pkg == "twospecs" else "failed"), task
        assert all(k["status"] != "pending" for k in task["children"] or [])
        ended[pkg] = _build_row(stack, r.json()["build_id"])
    assert ended["twospecs"]["status"] == "complete", ended["twospecs"]
    none = ended["nosource"]
    assert none["status"] == "failed" and "nosource-1.0.tar.gz" in none["reason"], none
    assert none["finished_at"] is not None
    only = ended["exclusive"]
    assert only["status"] == "failed" and "s390x" in only["reason"], only

    # a batch of the two that fail: its task ran to its end, the batch itself says failed
    both = {"packages": ["nosource", "exclusive"]}
    r = stack.client.post(f"/api/v1/projects/{name}/build-batch", headers=h, json=both)
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    batch = r.json()
    assert _wait(stack, batch["task_id"], 120)["status"] == "succeeded"
    shown = stack.client.get(f"/api/v1/batches/{batch['batch_id']}", headers=h).json()
    assert shown["status"] == "failed" and shown["counts"] == {"failed": 2}, shown
    lines = stack.client.get(f"/api/v1/projects/{name}/batches", headers=h).json()
    (line,) = [b for b in lines if b["batch_id"] == batch["batch_id"]]
    assert line["status"] == "failed" and line["task_status"] == "succeeded"
    cli, env = _cli(stack, live_url)
    out = subprocess.run([*cli, "batch", "show", str(batch["batch_id"])], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert f"build batch {batch['batch_id']} failed: 2 failed" in out.stdout, out
    demo = DemoClient.__new__(DemoClient)  # the demo's own wait, against this stack
    demo.http = httpx.Client(base_url=live_url, headers=h)
    assert demo.wait_batch(batch, "build of every package") == "failed"


def _build_row(stack: Stack, build_id: int) -> dict[str, Any]:
    """The build row itself (not the readers' view of it, which follows its task's end)."""
    from olivine.builds import records

    b = records.get_build(stack.services.db, build_id)
    return {"status": b.status, "reason": b.reason or "", "finished_at": b.finished_at}
