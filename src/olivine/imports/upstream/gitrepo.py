"""Clone an upstream git repository and choose the commit to import.

Dist-git convention: `imports/<branch>/<name>-<version>-<release>` tags mark what upstream
released on a branch. Without `--ref`, the newest such tag (rpm version order of the NVR, ties
by tag date) is taken, or the branch head when the branch has none.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from olivine.domain.nevra import parse_nvr, vercmp
from olivine.errors import UpstreamError, ValidationFailed
from olivine.fetch import git as fetchgit
from olivine.fetch.policy import FetchPolicy
from olivine.forge.gitcli import GitError, git_text
from olivine.imports.archive import ArchiveLimits, extract_tar
from olivine.imports.errors import UpstreamMissing


@dataclass(frozen=True)
class Pick:
    ref: str  # the tag, branch or ref that was taken
    commit: str


def clone(url: str, dest: Path, policy: FetchPolicy, what: str = "upstream") -> Path:
    """A full bare clone (history is needed for %autorelease and for tags), under the fetch
    policy and its caps."""
    try:
        fetchgit.clone(policy, url, dest, what)
    except (GitError, UpstreamError) as e:
        raise UpstreamMissing(f"repository {url} cannot be cloned: {e.message}") from None
    return dest


@dataclass(frozen=True)
class _Tag:
    name: str
    nvr: tuple[int, str, str]
    date: int
    commit: str


def _import_tags(repo: Path, branch: str) -> list[_Tag]:
    fmt = "%(refname:lstrip=2)%00%(creatordate:unix)%00%(*objectname)%00%(objectname)"
    out = git_text(
        ["for-each-ref", f"--format={fmt}", f"refs/tags/imports/{branch}/"], git_dir=repo
    )
    tags = []
    for line in out.splitlines():
        name, date, peeled, obj = line.split("\x00")
        try:
            nvr = parse_nvr(name.rsplit("/", 1)[-1])
        except ValidationFailed:
            continue  # not an NVR tag: not ours to order
        tags.append(_Tag(name, nvr.evr, int(date or 0), peeled or obj))
    return tags


def _newer(a: _Tag, b: _Tag) -> int:
    return vercmp(a.nvr, b.nvr) or (a.date > b.date) - (a.date < b.date)


def pick(repo: Path, url: str, branch: str | None, ref: str | None) -> Pick:
    if ref:
        for cand in (ref, f"refs/tags/{ref}", f"refs/heads/{ref}"):
            commit = git_text(
                ["rev-parse", "--verify", "--quiet", f"{cand}^{{commit}}"],
                git_dir=repo,
                check=False,
            )
            if commit:
                return Pick(ref, commit)
        raise UpstreamMissing(f"ref {ref} not found in upstream {url}")
    if branch:
        tags = _import_tags(repo, branch)
        if tags:
            best = max(tags, key=functools.cmp_to_key(_newer))
            return Pick(best.name, best.commit)
    head = branch or git_text(["symbolic-ref", "--short", "HEAD"], git_dir=repo)
    commit = git_text(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{head}^{{commit}}"],
        git_dir=repo,
        check=False,
    )
    if not commit:
        raise UpstreamMissing(f"branch {head} not found in upstream {url} (and no import tags)")
    return Pick(head, commit)


def export_tree(
    repo: Path, commit: str, dest: Path, url: str, limits: ArchiveLimits | None = None
) -> Path:
    """Write the tree of `commit` into dest, through the safe tar extraction (upstream content
    is not trusted: a symlink out of the tree is refused; size, count and depth are capped)."""
    proc = subprocess.Popen(
        ["git", f"--git-dir={repo}", "archive", "--format=tar", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        extract_tar(f"upstream {url}@{commit[:12]}", proc.stdout, dest, limits)
    finally:
        proc.stdout.close()
        proc.wait()
    return dest


def commit_time(repo: Path, commit: str) -> int:
    return int(git_text(["show", "-s", "--format=%ct", commit], git_dir=repo))
