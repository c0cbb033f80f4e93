"""git clones under the fetch policy.

git does its own connecting, so the policy is handed to it as configuration: the one protocol
of the checked URL (GIT_ALLOW_PROTOCOL: never `ext::`, never `fd::`, `file` only for a path
under a file root), the checked address pinned for http(s) (`http.curloptResolve`, so a second
DNS answer is never used), no redirects (`http.followRedirects=false`), no proxy. A clone runs
with a time cap and a watchdog on the size of its directory (a git bomb fails with a clear
error; `--filter` is not relied on: a server may ignore it). A local upstream whose objects live
elsewhere (alternates, a `.git` file, `commondir`) must have those under a file root too."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from olivine.errors import UpstreamError
from olivine.fetch.policy import FetchPolicy, FetchRefused, FetchTooLarge
from olivine.forge.gitcli import git_env

POLL = 0.2
# a proxy would make the connection, not to the checked address
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def is_local(url: str) -> bool:
    return url.startswith(("/", "file:")) or ("://" not in url and ":" not in url.split("/")[0])


def git_config(policy: FetchPolicy, url: str, what: str) -> tuple[list[str], dict[str, str]]:
    """The `-c` options and environment that hold git to the policy for `url`."""
    base = ["-c", "http.followRedirects=false", "-c", "http.proxy=", "-c", "core.askPass=true"]
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_PROTOCOL_FROM_USER": "0"}
    if is_local(url):
        path = policy.file_url(url, what) if url.startswith("file:") else Path(url)
        real = policy.check_path(path, url, what)
        _check_object_dirs(policy, real, url, what)
        return base, {**env, "GIT_ALLOW_PROTOCOL": "file"}
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"{what} {url} is refused: git is fetched over https, http or file")
    t = policy.check_url(url, what)
    addr = f"[{t.address}]" if ":" in t.address else t.address
    pin = ["-c", f"http.curloptResolve={t.host}:{t.port}:{addr}"]
    return base + pin, {**env, "GIT_ALLOW_PROTOCOL": scheme}


def _check_object_dirs(policy: FetchPolicy, repo: Path, url: str, what: str) -> None:
    gitdir = repo
    dotgit = repo / ".git"
    if dotgit.is_file():
        text = dotgit.read_text(errors="replace").strip()
        gitdir = Path(policy.check_path(repo / text.removeprefix("gitdir:").strip(), url, what))
    elif dotgit.is_dir():
        gitdir = dotgit
    common = gitdir / "commondir"
    if common.is_file():
        gitdir = policy.check_path(gitdir / common.read_text().strip(), url, what)
    alternates = gitdir / "objects" / "info" / "alternates"
    if alternates.is_file():
        for line in alternates.read_text(errors="replace").splitlines():
            if line.strip() and not line.startswith("#"):
                policy.check_path(gitdir / "objects" / line.strip(), url, what)


def dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                continue
    return total


def clone(
    policy: FetchPolicy, url: str, dest: Path, what: str, extra: Sequence[str] = ("--bare",)
) -> Path:
    """`git clone` of `url` into dest under the policy; FetchTooLarge past a cap (dest is then
    removed), UpstreamError when git fails (its own first error line)."""
    opts, env = git_config(policy, url, what)
    src = url
    if is_local(url):
        src = str(policy.file_url(url, what) if url.startswith("file:") else Path(url))
    # --no-local: objects come through upload-pack (never hard links to the upstream's files)
    cmd = ["git", *opts, "clone", "--quiet", "--no-local", *extra, "--", src, str(dest)]
    with tempfile.TemporaryFile() as err:
        full_env = {k: v for k, v in git_env(env).items() if k not in PROXY_VARS}
        proc = subprocess.Popen(cmd, env=full_env, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        problem = _watch(proc, dest, policy)
        if problem:
            shutil.rmtree(dest, ignore_errors=True)
            raise FetchTooLarge(f"{what} {url}: {problem}")
        if proc.returncode != 0:
            err.seek(0)
            raise UpstreamError(f"git clone: {_first_error(err.read(65536))}")
    return dest


def _watch(proc: subprocess.Popen[bytes], dest: Path, policy: FetchPolicy) -> str | None:
    start = time.monotonic()
    while proc.poll() is None:
        problem = None
        if time.monotonic() - start > policy.git_timeout:
            problem = f"the clone took longer than the cap of {policy.git_timeout:.0f} s"
        elif dest.exists() and dir_size(dest) > policy.git_max_bytes:
            problem = f"the clone grew past the cap of {policy.git_max_bytes} bytes"
        if problem:
            proc.kill()
            proc.wait()
            return problem
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(POLL)
    if dest.exists() and dir_size(dest) > policy.git_max_bytes:
        return f"the clone grew past the cap of {policy.git_max_bytes} bytes"
    return None


def _first_error(raw: bytes) -> str:
    lines = raw.decode(errors="replace").strip().splitlines()
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["git failed"])[0][:500]
