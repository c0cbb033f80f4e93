"""Run the git command line with a clean, predictable environment.

The forge and the upstream readers drive `git` itself rather than a binding: it is what every
host has, it handles every transport (file, http, https, ssh), and its behaviour is documented.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from olivine.errors import OlivineError, UpstreamError

IDENTITY = {
    "GIT_AUTHOR_NAME": "Olivine",
    "GIT_AUTHOR_EMAIL": "olivine@localhost",
    "GIT_COMMITTER_NAME": "Olivine",
    "GIT_COMMITTER_EMAIL": "olivine@localhost",
}


class GitError(OlivineError):
    """A git command failed; the message holds the command and git's own words."""

    status = 500
    title = "Git command failed"
    retryable = True


# The transports any git call may use (protocol.allow=never for the rest): never `ext::`
# (runs a command) or `fd::`. Upstream fetches narrow this to one (olivine.fetch.git).
ALLOWED_PROTOCOLS = "file:https:http:ssh"


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(IDENTITY)
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
            "LC_ALL": "C",
            "HOME": env.get("HOME", "/nonexistent"),
        }
    )
    env.update(extra or {})
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    git_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
    upstream: bool = False,
) -> bytes:
    """Run `git args...` and return stdout. On failure raise GitError (UpstreamError when
    `upstream` is set: the remote side is at fault, not Olivine)."""
    cmd = ["git"]
    if git_dir is not None:
        cmd.append(f"--git-dir={git_dir}")
    cmd.extend(args)
    proc = subprocess.run(
        cmd, cwd=cwd, env=git_env(env), input=input, capture_output=True, check=False
    )
    if check and proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        fatal = [ln for ln in err if ln.startswith(("fatal:", "error:"))]
        detail = (fatal or err or [f"exit {proc.returncode}"])[0]
        cls = UpstreamError if upstream else GitError
        raise cls(f"git {' '.join(args[:3])}: {detail}")
    return proc.stdout


def git_text(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    git_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    upstream: bool = False,
) -> str:
    out = run_git(args, cwd=cwd, git_dir=git_dir, env=env, check=check, upstream=upstream)
    return out.decode(errors="replace").strip()
