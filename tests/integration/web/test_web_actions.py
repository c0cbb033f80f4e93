"""Actions from the UI on the real stack (Temporal dev server + worker): apply a project file,
import a package and a batch, retry the failed items, cancel a task. Each goes through the same
API handler as /api/v1, so the task records and workflows are the API's."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from olivine.tasks.service import TERMINAL
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo, spec_text
from tests.integration.web.seed import csrf_of


def upstreams(root: Path) -> Path:
    """hello imports cleanly; broken's spec does not parse."""
    commit(init_repo(root / "hello.git", "c9"), {"SPECS/hello.spec": spec_text(sources=())})
    commit(init_repo(root / "broken.git", "c9"), {"SPECS/broken.spec": "Name: broken\nbad\n"})
    return root


def ui_project(up: Path, name: str) -> str:
    return f"""\
name: {name}
dist: .el9
vendor: {{family: el, major: 9}}
upstream: {{kind: dist-git, url: "{up.as_uri()}/{{name}}.git", branch: c9}}
target: {{branch: r9}}
repositories:
  - name: BaseOS
    packages: [hello]
packages:
  - name: hello
  - name: broken
"""


def sign_in(c: TestClient, token: str) -> str:
    r = c.post("/login", data={"token": token, "csrf": csrf_of(c.get("/login").text)})
    assert r.status_code == 200, r.text  # followed the redirect home
    return csrf_of(r.text)


def wait_done(stack: Stack, task_id: int, timeout: float = 60) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status, _ = stack.services.tasks.status_of(task_id)
        if status in TERMINAL:
            return status
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish")


def task_id_of(url: str) -> int:
    assert "/tasks/" in url, url
    return int(url.rsplit("/", 1)[1])


def test_apply_import_batch_retry_from_the_ui(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    csrf = sign_in(c, stack.admin_token)
    text = ui_project(upstreams(tmp_path / "up"), "uiact")
    bad = c.post("/apply", data={"text": "name: [", "csrf": csrf})
    assert bad.status_code == 422 and "not valid YAML" in bad.text
    r = c.post("/apply", data={"text": text, "csrf": csrf})
    assert r.status_code == 200, r.text
    applied = task_id_of(str(r.url))
    assert wait_done(stack, applied) == "succeeded"
    page = c.get(f"/tasks/{applied}").text
    assert "added package hello" in page and "s-succeeded" in page

    r = c.post("/projects/uiact/packages/hello/import", data={"csrf": csrf, "ref": ""})
    imported = task_id_of(str(r.url))
    assert wait_done(stack, imported) == "succeeded"
    pkg = c.get("/projects/uiact/packages/hello").text
    assert "1.0-1.el9" in pkg and "imports/r9/hello-1.0-1.el9" in pkg
    rev = pkg.split("/projects/uiact/packages/hello/imports/")[1].split("/")[0]
    diff = c.get(f"/projects/uiact/packages/hello/imports/{rev}/diff")
    assert diff.status_code == 200 and "no patch directives changed it" in diff.text

    r = c.post("/projects/uiact/import-batch", data={"csrf": csrf, "all": "true"})
    assert "/projects/uiact/batches/" in str(r.url), r.text
    batch_id = int(str(r.url).rsplit("/", 1)[1])
    page = c.get(f"/projects/uiact/batches/{batch_id}")
    batch_task = int(page.text.split('href="/tasks/')[1].split('"')[0])
    wait_done(stack, batch_task)
    page = c.get(f"/projects/uiact/batches/{batch_id}").text
    assert "s-failed" in page and "Retry 1 failed" in page
    r = c.post(f"/projects/uiact/batches/{batch_id}/retry", data={"csrf": csrf})
    retried = int(str(r.url).rsplit("/", 1)[1])
    assert retried != batch_id
    page = c.get(f"/projects/uiact/batches/{retried}").text
    assert 'href="/projects/uiact/packages/broken"' in page
    assert 'href="/projects/uiact/packages/hello"' not in page


def test_cancel_from_the_ui(stack: Stack) -> None:
    c = stack.client
    csrf = sign_in(c, stack.admin_token)
    task = stack.services.tasks.create("import", summary="waits forever")
    r = c.post(f"/tasks/{task}/cancel", data={"csrf": csrf})
    assert r.status_code == 200 and "s-canceled" in r.text
    again = c.post(f"/tasks/{task}/cancel", data={"csrf": csrf})
    assert again.status_code == 409 and "already canceled" in again.text


def test_build_from_the_ui(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    csrf = sign_in(c, stack.admin_token)
    r = c.post("/apply", data={"text": ui_project(upstreams(tmp_path / "up"), "uib"), "csrf": csrf})
    assert wait_done(stack, task_id_of(str(r.url))) == "succeeded"
    r = c.post("/projects/uib/packages/hello/import", data={"csrf": csrf})
    assert wait_done(stack, task_id_of(str(r.url))) == "succeeded"
    page = c.get("/projects/uib").text
    assert "/projects/uib/packages/hello/build" in page
    assert "/projects/uib/packages/broken/build" not in page  # never imported
    r = c.post("/projects/uib/packages/hello/build", data={"csrf": csrf})
    built = task_id_of(str(r.url))
    status = wait_done(stack, built, timeout=180)
    page = c.get(f"/tasks/{built}").text
    assert status == "succeeded", page[page.find("<main") :][:3000]
    pkg = c.get("/projects/uib/packages/hello").text
    assert "hello-1.0-1.el9.noarch.rpm" in pkg and "s-complete" in pkg
    repo = c.get("/projects/uib/repos/BaseOS").text
    assert "r1" in repo and "+1 \u22120" in repo and 'tag">served' in repo
    changes = c.get("/projects/uib/repos/BaseOS", params={"arch": "x86_64", "rev": 1}).text
    assert "Added (1)" in changes and "hello-1.0-1.el9.noarch.rpm" in changes
    repos = c.get("/projects/uib/repos").text
    assert "x86_64 r1" in repos and "Publish now" in repos
    r = c.post("/projects/uib/publish", data={"csrf": csrf})
    assert r.status_code == 200 and str(r.url).endswith("/projects/uib/repos")

    r = c.post("/projects/uib/build-batch", data={"csrf": csrf, "packages": "hello"})
    assert "/projects/uib/batches/" in str(r.url), r.text
    batch_url = str(r.url)
    batch_task = int(r.text.split('href="/tasks/')[1].split('"')[0])
    wait_done(stack, batch_task, timeout=180)
    page = c.get(batch_url).text
    assert "Build batch" in page and "is already built into this project" in page
    assert "Retry" not in page  # a refusal: a retry would end the same way
    r = c.post(batch_url + "/retry", data={"csrf": csrf})
    assert r.status_code == 422 and "nothing a retry can change" in r.text, r.text


def test_srpm_upload_from_the_ui(stack: Stack, tmp_path: Path) -> None:
    from tests.integration.imports.test_kinds_import import build_srpm

    c = stack.client
    csrf = sign_in(c, stack.admin_token)
    r = c.post("/apply", data={"text": ui_project(upstreams(tmp_path / "up"), "uis"), "csrf": csrf})
    assert wait_done(stack, task_id_of(str(r.url))) == "succeeded"
    assert "import-srpm" in c.get("/projects/uis/packages/hello").text
    srpm = build_srpm(tmp_path)
    with open(srpm, "rb") as f:
        r = c.post("/projects/uis/packages/hello/import-srpm", data={"csrf": csrf},
                   files={"srpm": (srpm.name, f)})  # fmt: skip
    assert wait_done(stack, task_id_of(str(r.url))) == "succeeded"
    assert "1.0-4.el9" in c.get("/projects/uis/packages/hello").text
