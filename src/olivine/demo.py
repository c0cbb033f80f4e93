"""`olivine up --demo`: a demo project fed from a local dist-git made of examples/packages, with
one declared patch from examples/patches, imported, built and published like any project.

The demo drives the public API with the admin token, exactly as a user's CLI would; it runs in
a thread of `olivine up` once the API answers, and prints the dnf command that installs the demo
program into an empty root and the command that runs it there.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from olivine.config import Settings

log = logging.getLogger("olivine.demo")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECT = "demo"
PACKAGES = ("libgreet", "greet", "greet-doc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Olivine Demo",
    "GIT_AUTHOR_EMAIL": "demo@example.org",
    "GIT_COMMITTER_NAME": "Olivine Demo",
    "GIT_COMMITTER_EMAIL": "demo@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": "/usr/bin:/bin",
}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def _git_repo(src: Path, dest: Path, branch: str) -> None:
    """A git repository at `dest` whose `branch` holds a copy of `src` (made once)."""
    if (dest / ".git").exists():
        return
    shutil.copytree(src, dest)
    _git(dest, "init", "-q", "-b", branch)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", f"{src.name}: demo sources")


def project_file(demo_dir: Path, arch: str) -> str:
    upstream = demo_dir / "upstream"
    patches = demo_dir / "patches"
    return f"""\
# Made by `olivine up --demo`: the upstream is a local dist-git of examples/packages.
name: {PROJECT}
description: Olivine demo (a C library, a program linked statically against it, a noarch doc)
arches: [{arch}]
dist: .el9
vendor: {{family: el, major: 9}}
macros: {{vendor: Olivine Demo, packager: "Olivine Demo <demo@example.org>"}}
upstream:
  kind: dist-git
  url: file://{upstream}/{{name}}.git
  branch: c9
patches: {{url: "file://{patches}/{{name}}.git"}}
target: {{branch: r9}}
buildroot:
  host_provides: [gcc, make, glibc-devel, glibc-static, binutils]
repositories:
  - name: demo
packages:
{"".join(f"  - name: {p}{chr(10)}" for p in PACKAGES)}"""


def prepare(settings: Settings, arch: str = "x86_64") -> Path:
    """Make the demo's upstream and patch repositories; return the project file."""
    demo = settings.data_dir / "demo"
    for pkg in PACKAGES:
        _git_repo(EXAMPLES / "packages" / pkg, demo / "upstream" / f"{pkg}.git", "c9")
        if (EXAMPLES / "patches" / pkg).is_dir():
            _git_repo(EXAMPLES / "patches" / pkg, demo / "patches" / f"{pkg}.git", "r9")
    path = demo / "demo.yaml"
    path.write_text(project_file(demo, arch))
    home = demo / "home"
    home.mkdir(exist_ok=True)
    (home / ".rpmmacros").write_text("%_dbpath /var/lib/rpm\n")
    return path


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

    def wait(self, task_id: int, what: str, timeout: float = 1800) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t: dict[str, Any] = self.call("GET", f"/api/v1/tasks/{task_id}")
            if t["status"] in ("succeeded", "failed", "canceled"):
                print(f"olivine demo: {what} {t['status']} (task {task_id})", flush=True)
                return t
            time.sleep(1)
        raise RuntimeError(f"{what} (task {task_id}) did not finish in {timeout:.0f} s")


def run_demo(settings: Settings) -> bool:
    from olivine.worker import host_arch

    arch = host_arch()
    path = prepare(settings, arch)
    api = DemoClient(settings)
    out = api.call(
        "POST", "/api/v1/projects/apply", json={"file": path.read_text(), "filename": str(path)}
    )
    print(f"olivine demo: project {PROJECT} {out['status']}", flush=True)
    batch = api.call("POST", f"/api/v1/projects/{PROJECT}/import-batch", json={"all": True})
    if api.wait(batch["task_id"], "import of every package")["status"] != "succeeded":
        return False
    batch = api.call("POST", f"/api/v1/projects/{PROJECT}/build-batch", json={"all": True})
    if api.wait(batch["task_id"], "build of every package")["status"] != "succeeded":
        return False
    print(instructions(settings, arch), flush=True)
    return True


def instructions(settings: Settings, arch: str) -> str:
    demo = settings.data_dir / "demo"
    root = demo / "root"
    repo = f"{settings.base_url}/repos/{PROJECT}/demo/{arch}/"
    return (
        "olivine demo: done. Install the demo program into an empty root with:\n"
        f"  HOME={demo / 'home'} dnf -y --installroot={root} --releasever=9 "
        "--setopt=reposdir=/dev/null --setopt=skip_if_unavailable=False "
        f"--repofrompath=demo,{repo} --nogpgcheck install greet greet-doc\n"
        "and run it there with:\n"
        f"  chroot {root} /usr/bin/greet\n"
    )


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
