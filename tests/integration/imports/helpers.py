"""Small upstreams made on the spot: git repositories (commits, tags with dates), a lookaside
directory served over HTTP on 127.0.0.1, projects in the database."""

from __future__ import annotations

import functools
import hashlib
import http.server
import ipaddress
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from olivine.db.base import Database
from olivine.db.models import Project
from olivine.fetch.policy import FetchPolicy
from olivine.imports.service import ProjectRef
from olivine.projects.schema import ProjectFile


def git(repo: Path, *args: str, date: int | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Up Stream",
        "GIT_AUTHOR_EMAIL": "up@example.org",
        "GIT_COMMITTER_NAME": "Up Stream",
        "GIT_COMMITTER_EMAIL": "up@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo.parent),
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date} +0000"
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def write_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    for name, content in files.items():
        p = root / name
        if content is None:
            p.unlink(missing_ok=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    return path


def commit(
    repo: Path,
    files: dict[str, str | bytes | None],
    msg: str = "change",
    date: int = 1_700_000_000,
    tag: str | None = None,
) -> str:
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", msg, date=date)
    if tag:
        git(repo, "tag", "-a", tag, "-m", tag, date=date)
    return git(repo, "rev-parse", "HEAD")


def spec_text(
    name: str = "hello",
    version: str = "1.0",
    release: str = "1%{?dist}",
    sources: tuple[str, ...] = ("hello-1.0.tar.gz",),
    patches: tuple[str, ...] = (),
    extra: str = "",
) -> str:
    lines = [
        f"Name: {name}",
        f"Version: {version}",
        f"Release: {release}",
        "Summary: Hello from Red Hat",
        "License: MIT",
        "BuildArch: noarch",
    ]
    lines += [f"Source{i}: {s}" for i, s in enumerate(sources)]
    lines += [f"Patch{i}: {p}" for i, p in enumerate(patches)]
    lines += [
        extra,
        "%description",
        "A greeting.",
        "",
        "%prep",
        "",
        "%files",
        "",
        "%changelog",
        "* Mon Jan 01 2024 Up Stream <up@example.org> - 1.0-1",
        "- first",
        "",
    ]
    return "\n".join(lines)


@contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 (a lookaside or an SRPM mirror)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def put_lookaside(root: Path, name: str, branch: str, data: bytes, algo: str = "sha512") -> str:
    """Place a blob as `<name>/<branch>/<hashtype>/<hash>` (the tests' lookaside template)."""
    digest = hashlib.new(algo, data).hexdigest()
    dest = root / name / branch / algo / digest
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return digest


LOOKASIDE_TEMPLATE = "/{name}/{branch}/{hashtype}/{hash}"


def make_project(db: Database, name: str = "el9", **spec: Any) -> ProjectRef:
    base: dict[str, Any] = {
        "name": name,
        "dist": ".el9",
        "vendor": {"family": "el", "major": 9},
        "target": {"branch": "r9"},
        "packages": [{"name": "hello"}],
    }
    base.update(spec)
    pf = ProjectFile(**base)
    with db.session() as s:
        row = Project(name=pf.name, spec=pf.normalised(), spec_sha256="0" * 64)
        s.add(row)
        s.flush()
        return ProjectRef(row.id, pf)


# What the tests' upstreams need of the fetch policy: local repositories and lookasides under the
# temporary directory, HTTP servers on loopback (an administrator sets the same through
# OLIVINE_FETCH_FILE_ROOTS and OLIVINE_FETCH_ALLOW_NETS).
TEST_POLICY = FetchPolicy(
    file_roots=(Path(tempfile.gettempdir()).resolve(),),
    allow_nets=(ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
)
