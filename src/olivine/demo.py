"""`olivine up --demo`: a demo project fed from a local dist-git made of examples/packages, with
one declared patch from examples/patches (olivine.builds.demo makes them), imported, built and
published like any project.

The demo drives the public API with the admin token, exactly as a user's CLI would; it runs in
a thread of `olivine up` once the API answers, and prints the dnf command that installs the demo
program into an empty root and the command that runs it there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from olivine.builds.demo import install_commands, write_demo_upstream
from olivine.config import Settings

log = logging.getLogger("olivine.demo")
PROJECT = "demo"


class DemoClient:
    def __init__(self, settings: Settings) -> None:
        token = (settings.data_dir / "admin-token").read_text().strip()
        self.http = httpx.Client(
            base_url=settings.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    def wait_batch(self, batch: dict[str, Any], what: str, timeout: float = 1800) -> str:
        """Wait for the batch's task; the batch's own status (`partial`, `failed` when items
        failed, though its task ran to its end), said with its counts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t: dict[str, Any] = self.call("GET", f"/api/v1/tasks/{batch['task_id']}")
            if t["status"] in ("succeeded", "failed", "canceled"):
                b = self.call("GET", f"/api/v1/batches/{batch['batch_id']}")
                counts = ", ".join(f"{n} {s}" for s, n in b["counts"].items())
                print(f"olivine demo: {what} {b['status']} (batch {b['batch_id']}: {counts})",
                      flush=True)  # fmt: skip
                return str(b["status"])
            time.sleep(1)
        raise RuntimeError(f"{what} (task {batch['task_id']}) did not finish in {timeout:.0f} s")


def upstream_dir(settings: Settings) -> Path:
    """Where the demo's upstream repositories live: outside the data directory, which the
    fetch policy never reads from."""
    key = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"olivine-demo-upstream-{os.getuid()}-{key}"


def worker_env(settings: Settings) -> dict[str, str]:
    """The worker's fetch settings for the demo: its upstream directory added to the file
    roots the administrator set."""
    roots = [str(r) for r in settings.fetch_file_roots] + [str(upstream_dir(settings))]
    return {"OLIVINE_FETCH_FILE_ROOTS": ":".join(roots)}


def run_demo(settings: Settings) -> bool:
    demo = write_demo_upstream(upstream_dir(settings), name=PROJECT)
    api = DemoClient(settings)
    out = api.call(
        "POST", "/api/v1/projects/apply", json={"file": demo.project_file, "filename": "demo.yaml"}
    )
    print(f"olivine demo: project {PROJECT} {out['status']}", flush=True)
    key = _signing_key(api)
    print(f"olivine demo: the signing worker signs with key {key}", flush=True)
    for kind, what in (("import", "import of every package"), ("build", "build of every package")):
        batch = api.call("POST", f"/api/v1/projects/{PROJECT}/{kind}-batch", json={"all": True})
        if api.wait_batch(batch, what) != "succeeded":
            return False
    root = settings.data_dir / "demo" / "root"
    print(
        "olivine demo: done. Install the demo program into an empty root and run it:\n"
        + install_commands(settings.base_url, PROJECT, str(root)),
        flush=True,
    )
    return True


def _signing_key(api: DemoClient) -> str:
    """The project's default key, made by the signing worker on the first run: every RPM and
    repomd.xml the demo publishes is signed with it."""
    keys = api.call("GET", f"/api/v1/projects/{PROJECT}/keys")
    made = [k for k in keys if k["is_default"] and k["state"] == "active"]
    if not made:
        made = [api.call("POST", f"/api/v1/projects/{PROJECT}/keys", json={}, timeout=330)]
    return str(made[0]["fingerprint"])


def start_demo_in_background(settings: Settings) -> threading.Thread:
    def run() -> None:
        for _ in range(600):
            try:
                if httpx.get(f"{settings.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        try:
            if not run_demo(settings):
                print("olivine demo: a step failed; see `olivine task list`", flush=True)
        except Exception as e:  # the demo must never take the server down
            log.exception("demo failed")
            print(f"olivine demo: failed: {e}", flush=True)

    thread = threading.Thread(target=run, name="olivine-demo", daemon=True)
    thread.start()
    return thread
