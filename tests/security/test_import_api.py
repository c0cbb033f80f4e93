"""Through the real stack (API, Temporal, worker): an anonymous import diff on a public project
is read from what the worker stored (the upstream can be gone: no clone, no spec parse in the
API process), and a lookaside pointed at the data directory fails without revealing anything
in the error, the task, its log or any API answer."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

from tests.integration import conftest as running
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo, spec_text

# the running stack's fixtures (tests/integration/conftest.py)
stack = running.stack
stack_settings = running.stack_settings
temporal_address = running.temporal_address
worker = running.worker


def apply(stack: Stack, text: str) -> None:
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": text, "filename": "p.yaml", "wait": True},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text


def import_and_wait(stack: Stack, project: str, package: str) -> dict[str, Any]:
    h = stack.as_(stack.admin_token)
    r = stack.client.post(
        f"/api/v1/projects/{project}/imports", headers=h, json={"package": package}
    )
    assert r.status_code == 202, r.text
    end = time.monotonic() + 90
    while time.monotonic() < end:
        t: dict[str, Any] = stack.client.get(
            f"/api/v1/tasks/{r.json()['task_id']}", headers=h
        ).json()
        if t["status"] in ("succeeded", "failed", "canceled"):
            return t
        time.sleep(0.2)
    raise AssertionError("import did not finish")


def test_anonymous_diff_reads_the_stored_diff(stack: Stack, tmp_path: Path) -> None:
    up, patch = tmp_path / "up", tmp_path / "patch"
    commit(
        init_repo(up / "hello.git", "c9"),
        {"SPECS/hello.spec": spec_text(sources=())},
        tag="imports/c9/hello-1.0-1.el9",
    )
    commit(
        init_repo(patch / "hello.git", "main"),
        {
            "PATCHES/s.yaml": "spec:\n  search_and_replace:\n"
            "    - {field: Summary, find: Red Hat, replace: Olivine}\n"
        },
    )
    apply(
        stack,
        f"""\
name: pubdiff
public: true
dist: .el9
vendor: {{family: el, major: 9}}
upstream: {{kind: dist-git, url: "{up.as_uri()}/{{name}}.git", branch: c9}}
patches: {{url: "{patch.as_uri()}/{{name}}.git", branch: main}}
target: {{branch: r9}}
packages: [{{name: hello}}]
""",
    )
    assert import_and_wait(stack, "pubdiff", "hello")["status"] == "succeeded"
    shutil.rmtree(up)  # the API can no longer clone it, and needs not
    shutil.rmtree(patch)
    r = stack.client.get("/api/v1/projects/pubdiff/packages/hello/imports/diff")  # anonymous
    assert r.status_code == 200, r.text
    diff = r.json()["diff"]
    assert "-Summary: Hello from Red Hat" in diff and "+Summary: Hello from Olivine" in diff
    rev = r.json()["revision"]
    page = stack.client.get(f"/projects/pubdiff/packages/hello/imports/{rev}/diff")
    assert page.status_code == 200 and "Hello from Olivine" in page.text


def test_lookaside_at_the_data_dir_reveals_nothing(stack: Stack, tmp_path: Path) -> None:
    data = stack.services.settings.data_dir
    secret = (data / "secret-key").read_bytes() if (data / "secret-key").exists() else None
    if secret is None:
        stack.services.settings.secret_key()
        secret = (data / "secret-key").read_bytes()
    leaks = [secret.decode().strip()] + [
        hashlib.new(a, secret).hexdigest() for a in ("md5", "sha1", "sha256", "sha512")
    ]
    up = tmp_path / "up"
    promised = "ab" * 64  # a sha512 that matches nothing
    commit(
        init_repo(up / "hello.git", "c9"),
        {
            "SPECS/hello.spec": spec_text(sources=("hello-1.0.tar.gz",)),
            ".hello.metadata": f"{promised} SOURCES/hello-1.0.tar.gz\n",
        },
        tag="imports/c9/hello-1.0-1.el9",
    )
    apply(
        stack,
        f"""\
name: leak
dist: .el9
vendor: {{family: el, major: 9}}
upstream:
  kind: dist-git
  url: "{up.as_uri()}/{{name}}.git"
  branch: c9
  lookaside: "{data.as_uri()}/secret-key"
target: {{branch: r9}}
packages: [{{name: hello}}]
""",
    )
    task = import_and_wait(stack, "leak", "hello")
    assert task["status"] == "failed"
    h = stack.as_(stack.admin_token)
    logs = stack.client.get(f"/api/v1/tasks/{task['id']}/logs", headers=h).text
    seen = str(task) + logs
    assert "refused" in seen and "data directory" in seen
    for leak in leaks:
        assert leak not in seen
