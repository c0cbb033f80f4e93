"""The fetch policy: every outbound URL (upstream git, lookaside, patches, SRPM URLs, build
repositories) is refused when it points at the data directory, a local path outside the file
roots, or a loopback, link-local or private address, and a refusal reveals nothing of what lies
there; redirects are checked again; downloads and clones stop at their caps."""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from olivine.builds.fetch import fetch_metadata
from olivine.builds.resolve import RepoSource
from olivine.fetch import git as fetchgit
from olivine.fetch.http import open_url
from olivine.fetch.policy import FetchPolicy, FetchRefused, FetchTooLarge
from olivine.forge.gitcli import git_env
from olivine.imports.lookaside import Lookaside, LookasideRef
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import commit, init_repo

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
SECRET = b"the object-link secret " + os.urandom(16).hex().encode()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "secret-key").write_bytes(SECRET)
    return d


def policy(tmp_path: Path, data_dir: Path, **kw: Any) -> FetchPolicy:
    return FetchPolicy(file_roots=(tmp_path,), denied=(data_dir,), **kw)


def digests(data: bytes) -> list[str]:
    return [hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256", "sha512")]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/x",
        "http://172.16.0.1/x",
        "https://192.168.1.1/x",
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[fd00::1]/x",
        "http://[::ffff:127.0.0.1]/x",
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="non-public address"):
        FetchPolicy().check_url(url, "lookaside")


def test_allow_nets_admits_only_what_it_names() -> None:
    p = FetchPolicy(allow_nets=LOOPBACK)
    assert p.check_url("http://127.0.0.1:9/x", "u").address == "127.0.0.1"
    with pytest.raises(FetchRefused):
        p.check_url("http://169.254.169.254/", "u")


def test_check_is_on_resolved_addresses_and_connects_to_the_checked_one() -> None:
    def rebinding(host: str, port: int, **kw: Any) -> list[Any]:
        addrs = ["93.184.216.34", "127.0.0.1"]  # a public answer next to a private one
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addrs]

    with pytest.raises(FetchRefused, match="non-public"):
        FetchPolicy(resolver=rebinding).check_url("https://mirror.example.org/x", "u")

    def public(host: str, port: int, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    t = FetchPolicy(resolver=public).check_url("https://mirror.example.org/x", "u")
    assert (t.host, t.address, t.port) == ("mirror.example.org", "93.184.216.34", 443)


def test_file_urls_only_under_roots_never_the_data_dir(tmp_path: Path, data_dir: Path) -> None:
    p = policy(tmp_path, data_dir)
    (tmp_path / "ok").write_text("fine")
    assert p.file_url((tmp_path / "ok").as_uri(), "u") == (tmp_path / "ok").resolve()
    (tmp_path / "link").symlink_to(data_dir / "secret-key")
    for url in (
        (data_dir / "secret-key").as_uri(),
        (tmp_path / "link").as_uri(),  # a link under a root into the data directory
        (data_dir / "no-such-file").as_uri(),
    ):
        with pytest.raises(FetchRefused, match="data directory") as e:
            p.file_url(url, "lookaside")
        assert SECRET.decode() not in e.value.message
    with pytest.raises(FetchRefused, match="OLIVINE_FETCH_FILE_ROOTS"):
        p.file_url("file:///etc/shadow", "lookaside")


def test_lookaside_at_the_data_dir_reveals_no_digest(
    tmp_path: Path, data_dir: Path, fs_store: FsStore
) -> None:
    """Today's leak: a manager points `lookaside` at a data-directory file and reads its sha256
    back from the HashMismatch message."""
    la = Lookaside(fs_store, data_dir.as_uri() + "/secret-key", policy=policy(tmp_path, data_dir))
    ref = LookasideRef.of("SOURCES/x.tar.gz", "0" * 64)
    with pytest.raises(FetchRefused) as e:
        la.fetch(ref, name="x", branch=None)
    assert not any(d in e.value.message for d in digests(SECRET))
    assert SECRET.decode() not in e.value.message
    assert not fs_store.exists(hashlib.sha256(SECRET).hexdigest())


def test_hash_mismatch_names_only_the_expected_digest(tmp_path: Path, data_dir: Path) -> None:
    store = FsStore(tmp_path / "objects", "http://127.0.0.1:8080", b"k" * 32)
    (tmp_path / "la").mkdir()
    (tmp_path / "la" / "f").write_bytes(b"readable content")
    la = Lookaside(store, (tmp_path / "la").as_uri() + "/f", policy=policy(tmp_path, data_dir))
    for expected in ("1" * 64, "2" * 128):
        with pytest.raises(Exception, match="does not match") as e:
            la.fetch(LookasideRef.of("SOURCES/f", expected), name="x", branch=None)
        assert expected in str(e.value)
        assert not any(d in str(e.value) for d in digests(b"readable content"))


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen_auth: list[str | None] = []

    def do_GET(self) -> None:
        self.seen_auth.append(self.headers.get("Authorization"))
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, tuple[int, dict[str, str], bytes]]]]:
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    handler = type("H", (_Handler,), {"routes": routes, "seen_auth": []})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", routes
    srv.shutdown()
    srv.server_close()


def test_redirect_to_a_refused_address_is_refused(server: Any) -> None:
    base, routes = server
    routes["/blob"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    routes["/hop"] = (302, {"Location": "/blob-ok"}, b"")
    routes["/blob-ok"] = (200, {}, b"fine")
    p = FetchPolicy(allow_nets=LOOPBACK)
    with pytest.raises(FetchRefused, match=r"169\.254\.169\.254"), open_url(p, base + "/blob") as c:
        b"".join(c)
    with open_url(p, base + "/hop") as c:  # a redirect the policy allows is followed
        assert b"".join(c) == b"fine"


def test_credentials_are_not_sent_after_a_redirect_to_another_origin(server: Any) -> None:
    base, routes = server
    other = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        type("O", (_Handler,), {"routes": {"/f": (200, {}, b"elsewhere")}, "seen_auth": []}),
    )
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        routes["/r"] = (302, {"Location": f"http://127.0.0.1:{other.server_address[1]}/f"}, b"")
        with open_url(FetchPolicy(allow_nets=LOOPBACK), base + "/r", auth=("u", "pw")) as c:
            assert b"".join(c) == b"elsewhere"
        assert other.RequestHandlerClass.seen_auth == [None]  # type: ignore[attr-defined]
    finally:
        other.shutdown()
        other.server_close()


def test_download_size_cap(server: Any, tmp_path: Path, data_dir: Path) -> None:
    base, routes = server
    routes["/big"] = (200, {}, b"x" * 200_000)
    (tmp_path / "big").write_bytes(b"x" * 200_000)
    p = FetchPolicy(allow_nets=LOOPBACK, file_roots=(tmp_path,), max_bytes=65_536)
    for url in (base + "/big", (tmp_path / "big").as_uri()):
        cap = "larger than the cap of 65536 bytes"
        with pytest.raises(FetchTooLarge, match=cap), open_url(p, url, "lookaside") as chunks:
            for _ in chunks:
                pass


def test_git_clone_size_cap(tmp_path: Path, data_dir: Path) -> None:
    repo = init_repo(tmp_path / "up" / "bomb.git")
    commit(repo, {"blob.bin": os.urandom(3 * 1024 * 1024)})
    p = policy(tmp_path, data_dir, git_max_bytes=1024 * 1024)
    dest = tmp_path / "clone.git"
    with pytest.raises(FetchTooLarge, match="grew past the cap of 1048576 bytes"):
        fetchgit.clone(p, str(repo), dest, "upstream")
    assert not dest.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/rpms/x.git",
        "https://169.254.169.254/rpms/x.git",
        "ext::sh -c touch% /tmp/olivine-pwned-ext",
        "fd::17",
        "ssh://git@10.0.0.1/x.git",
    ],
)
def test_upstream_git_refused(url: str, tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(FetchRefused):
        fetchgit.clone(policy(tmp_path, data_dir), url, tmp_path / "c.git", "upstream")
    assert not (tmp_path / "c.git").exists() and not Path("/tmp/olivine-pwned-ext").exists()


def test_upstream_git_in_the_data_dir_refused(tmp_path: Path, data_dir: Path) -> None:
    forge_repo = init_repo(data_dir / "forge" / "private.git")
    commit(forge_repo, {"secret.txt": "private package\n"})
    p = policy(tmp_path, data_dir)
    for url in (str(forge_repo), forge_repo.as_uri()):
        with pytest.raises(FetchRefused, match="data directory"):
            fetchgit.clone(p, url, tmp_path / "c.git", "upstream")
    # a repository under a root that borrows its objects from the data directory
    up = init_repo(tmp_path / "up" / "borrow.git")
    alt = up / ".git" / "objects" / "info" / "alternates"
    alt.write_text(str(forge_repo / ".git" / "objects") + "\n")
    with pytest.raises(FetchRefused, match="data directory"):
        fetchgit.clone(p, str(up), tmp_path / "c.git", "upstream")


def test_every_git_call_refuses_ext() -> None:
    allowed = git_env()["GIT_ALLOW_PROTOCOL"].split(":")
    assert "ext" not in allowed and "fd" not in allowed


def test_build_external_repo_refused(tmp_path: Path, data_dir: Path) -> None:
    for url in ("http://127.0.0.1:1/repo/", "http://169.254.169.254/repo/"):
        with pytest.raises(FetchRefused):
            fetch_metadata(url, tmp_path / "cache")
    src = RepoSource("ext", url=data_dir.as_uri(), policy=policy(tmp_path, data_dir))
    with pytest.raises(FetchRefused, match="data directory"):
        src.local(tmp_path / "cache")


def test_allowed_http_git_clone_connects_to_the_pinned_address(tmp_path: Path) -> None:
    import functools
    import subprocess

    src = init_repo(tmp_path / "src")
    head = commit(src, {"f": "x\n"})
    served = tmp_path / "srv" / "r.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(served)], check=True)
    subprocess.run(["git", "update-server-info"], cwd=served, check=True)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "srv")
    )
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://localhost:{srv.server_address[1]}/r.git"  # resolved, checked, pinned
        out = fetchgit.clone(FetchPolicy(allow_nets=LOOPBACK), url, tmp_path / "c.git", "up")
        assert (out / "HEAD").is_file()
        with pytest.raises(FetchRefused):  # the same server without the allow-list
            fetchgit.clone(FetchPolicy(), url, tmp_path / "d.git", "up")
    finally:
        srv.shutdown()
        srv.server_close()
    assert head


def test_project_external_repos_carry_the_workers_policy(
    tmp_path: Path, data_dir: Path, db: Any, fs_store: FsStore
) -> None:
    from olivine.builds.steps import project_repos
    from olivine.projects.schema import ProjectFile

    pf = ProjectFile(
        name="ext",
        upstream={"kind": "dist-git", "url": "https://git.example.org/{name}.git"},
        external_repos=[
            {"name": "meta", "url": "http://169.254.169.254/latest/$basearch/"},
            {"name": "data", "url": data_dir.as_uri()},
        ],
        packages=[{"name": "hello"}],
    )
    p = policy(tmp_path, data_dir, allow_nets=LOOPBACK)
    repos = project_repos(db, fs_store, "ext", pf, "x86_64", tmp_path / "repos", p)
    assert [r.policy for r in repos] == [p, p]
    for r in repos:
        with pytest.raises(FetchRefused):
            r.local(tmp_path / "cache")
