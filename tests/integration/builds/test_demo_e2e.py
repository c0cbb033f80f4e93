"""The demo from end to end through the real stack: a local dist-git of the example packages and
greet's declared patch, imported, built in one batch in order, published; then dnf installs the
program from the served repo into an empty root, where it runs."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import Stack

from olivine.builds.demo import PROGRAM, install_commands, write_demo_upstream
from olivine.config import Settings

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or shutil.which("dnf") is None, reason="bwrap or dnf missing"
)


def _wait(stack: Stack, task_id: int, timeout: float = 300) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = stack.client.get(f"/api/v1/tasks/{task_id}", headers=stack.as_(stack.admin_token))
        if t.json()["status"] in ("succeeded", "failed", "canceled"):
            return t.json()
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} did not finish")


def test_demo_imports_builds_publishes_and_installs(
    stack: Stack, signer: Settings, tmp_path: Path, live_url: str
) -> None:
    """...signed with the project's key, which dnf checks (gpgcheck=1, repo_gpgcheck=1)."""
    h = stack.as_(stack.admin_token)
    demo = write_demo_upstream(tmp_path / "upstream", name="demo-e2e")
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=h,
        json={"file": demo.project_file, "filename": "demo.yaml", "wait": True},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    r = stack.client.post(f"/api/v1/projects/{demo.project}/keys", headers=h, json={})
    assert r.status_code == 201, r.text
    r = stack.client.post(
        f"/api/v1/projects/{demo.project}/import-batch", headers=h, json={"all": True}
    )
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"
    r = stack.client.post(
        f"/api/v1/projects/{demo.project}/build-batch", headers=h, json={"all": True}
    )
    batch = _wait(stack, r.json()["task_id"], 600)
    assert batch["status"] == "succeeded", batch
    assert batch["result"]["counts"] == {"built": 3}

    root = tmp_path / "root"
    script = install_commands(live_url, demo.project, str(root))
    out = subprocess.run(
        ["bash", "-ec", script.replace("dnf -y", "dnf -y -q --setopt=skip_if_unavailable=False")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines()[-2:] == [
        "Hello from libgreet, built by Olivine (answer 42)",
        "Patched for the Olivine demo project",
    ]
    assert (root / "usr" / "bin" / PROGRAM).is_file()
    signed = stack.client.get(f"/api/v1/projects/{demo.project}/keys/signatures", headers=h)
    assert len(signed.json()) >= 3, signed.text
