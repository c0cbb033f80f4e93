"""Repos served over real HTTP (uvicorn on loopback) to Debian's dnf, and tiny test RPMs."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.responses import StreamingResponse

from olivine.api import errors
from olivine.db.base import Database
from olivine.errors import Forbidden, Unauthenticated
from olivine.repos import routes
from olivine.repos.serving import ProjectRef
from olivine.storage import links
from olivine.storage.fs import FsStore
from olivine.supervisor import free_port

KEY = b"k" * 32
TOKEN = "s3cret-token"


def _spec(name: str, version: str, release: str, files: int) -> str:
    install = "\n".join(
        f"echo {name}-{version}-{i} > %{{buildroot}}/usr/share/{name}/f{i}.txt"
        for i in range(files)
    )
    return f"""Name: {name}
Version: {version}
Release: {release}
Summary: test package {name}
License: MIT
BuildArch: noarch
Provides: {name}-cap = {version}

%description
Test package {name} {version}.

%install
mkdir -p %{{buildroot}}/usr/share/{name}
{install}

%files
/usr/share/{name}

%changelog
* Mon Jan 01 2024 Test <t@example.org> - {version}-{release}
- build
"""


RpmFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def make_rpm(tmp_path_factory: pytest.TempPathFactory) -> RpmFactory:
    """Build (once per session and NVR) a tiny noarch RPM with rpmbuild."""
    top = tmp_path_factory.mktemp("rpmbuild")
    made: dict[tuple[str, str, str], Path] = {}

    def build(name: str, version: str = "1.0", release: str = "1", files: int = 2) -> Path:
        key = (name, version, release)
        if key not in made:
            spec = top / f"{name}-{version}-{release}.spec"
            spec.write_text(_spec(name, version, release, files))
            subprocess.run(
                [
                    "rpmbuild",
                    "-bb",
                    "--nodeps",
                    "--define",
                    f"_topdir {top}",
                    "--define",
                    "_buildshell /bin/bash",
                    "--define",
                    "_build_id_links none",
                    str(spec),
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "LC_ALL": "C"},
            )
            made[key] = top / "RPMS" / "noarch" / f"{name}-{version}-{release}.noarch.rpm"
        return made[key]

    return build


def _authorize(request: Request, project: ProjectRef) -> None:
    """The shape of the app's callable: Bearer token, or Basic auth with the token as password."""
    if project.public:
        return
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer ") and auth[7:] == TOKEN:
        return
    if auth.startswith("Basic "):
        _user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if password == TOKEN:
            return
        raise Forbidden("bad token")
    raise Unauthenticated(f"project {project.name} is private")


def make_app(db: Database, store: FsStore, base_url: str, ttl: float, fast: bool = True) -> FastAPI:
    """The repo routes as the app wires them: router, and (fast) the ASGI fast path."""
    app = FastAPI()
    errors.install(app)
    ctx = routes.RepoContext(db, store, base_url, authorize=_authorize, head_ttl=ttl)
    app.include_router(routes.router)
    app.state.repo_context = ctx
    if fast:
        app.add_middleware(routes.RepoServingMiddleware, context=lambda: ctx)

    @app.get("/objects/{sha256}")
    def objects(sha256: str, e: int = Query(...), s: str = Query(...)) -> StreamingResponse:
        if not links.verify(KEY, sha256, e, s):
            raise Forbidden("expired link")
        return StreamingResponse(store.open(sha256), media_type="application/x-rpm")

    return app


@dataclass
class Served:
    url: str
    store: FsStore


@pytest.fixture
def served(db: Database, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = FsStore(tmp_path / "objects", url, KEY)
    app = make_app(db, store, url, ttl=0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 20)
    yield Served(url, store)
    server.should_exit = True
    thread.join(10)


@dataclass
class Dnf:
    root: Path
    home: Path

    def __call__(
        self, repo_url: str, *args: str, check: bool = True, creds: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            "dnf",
            "-y",
            "-q",
            f"--installroot={self.root}",
            "--releasever=9",
            "--setopt=reposdir=/dev/null",
            "--setopt=skip_if_unavailable=False",
            f"--repofrompath=r,{repo_url}",
            "--nogpgcheck",
            "--setopt=r.metadata_expire=0",
        ]
        if creds:
            cmd += ["--setopt=r.username=token", f"--setopt=r.password={creds}"]
        proc = subprocess.run(
            [*cmd, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": str(self.home), "LC_ALL": "C"},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"dnf {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture
def dnf(tmp_path: Path) -> Dnf:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".rpmmacros").write_text("%_dbpath /var/lib/rpm\n")
    root = tmp_path / "root"
    root.mkdir()
    return Dnf(root, home)


def wait_until(pred: Callable[[], bool], seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
