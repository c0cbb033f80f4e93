"""A package's patch repository: directive files common to every branch (on `main`) and per
branch (on the branch named like the forge target, srpmproc's convention).

In each, the directive files are `ROCKY/CFG/*.cfg` and `PATCHES/*.cfg` (srpmproc's, unchanged)
and `PATCHES/*.yaml` (Olivine's), applied in path order; paths inside directives are relative
to the root of that branch's tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from olivine.fetch.policy import FetchPolicy
from olivine.forge.gitcli import git_text
from olivine.imports.archive import ArchiveLimits, check_tree
from olivine.imports.errors import UpstreamMissing
from olivine.imports.patches import model as m
from olivine.imports.patches.formats import load_cfg, load_yaml
from olivine.imports.upstream import gitrepo

COMMON_BRANCH = "main"
GLOBS = ("ROCKY/CFG/*.cfg", "PATCHES/*.cfg", "PATCHES/*.yaml", "PATCHES/*.yml")


@dataclass
class PatchLayer:
    branch: str
    commit: str
    root: Path
    files: list[m.DirectiveFile] = field(default_factory=list)
    commit_time: int = 0


@dataclass
class PatchSet:
    url: str
    layers: list[PatchLayer] = field(default_factory=list)

    @property
    def commit(self) -> str | None:
        """The commit recorded for the import: the per-branch layer's, else the common one."""
        return self.layers[-1].commit if self.layers else None

    def describe(self) -> str:
        return ", ".join(f"{la.branch}@{la.commit}" for la in self.layers) or "none"

    def count(self) -> int:
        return sum(f.count() for la in self.layers for f in la.files)


def read_directives(root: Path, skip: dict[str, str] | None = None) -> list[m.DirectiveFile]:
    """The directive files under root, except those identical to `skip`'s (path -> text)."""
    paths = sorted({p for g in GLOBS for p in root.glob(g) if p.is_file()})
    out = []
    for p in paths:
        rel = p.relative_to(root).as_posix()
        text = p.read_text()
        if skip and skip.get(rel) == text:
            continue
        out.append(load_cfg(rel, text) if p.suffix == ".cfg" else load_yaml(rel, text))
    return out


def _texts(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for g in GLOBS
        for p in root.glob(g)
        if p.is_file()
    }


def load_patches(url: str, branch: str, work: Path, policy: FetchPolicy) -> PatchSet | None:
    """The patch set at `url`, or None when there is no such repository (no patches)."""
    try:
        repo = gitrepo.clone(url, work / "patches.git", policy, "patch repository")
    except UpstreamMissing:
        return None
    out = PatchSet(url)
    common: dict[str, str] = {}
    for name in dict.fromkeys((COMMON_BRANCH, branch)):
        commit = git_text(
            ["rev-parse", "--verify", "--quiet", f"refs/heads/{name}^{{commit}}"],
            git_dir=repo,
            check=False,
        )
        if not commit:
            continue
        limits = ArchiveLimits(max_bytes=policy.git_max_bytes)
        root = gitrepo.export_tree(repo, commit, work / f"patches-{name}", url, limits)
        check_tree(root, f"patch repository {url}@{commit[:12]}")
        when = gitrepo.commit_time(repo, commit)
        # a branch made from main carries main's files too: those are applied once, as common
        files = read_directives(root, skip=common)
        out.layers.append(PatchLayer(name, commit, root, files, when))
        if name == COMMON_BRANCH:
            common = _texts(root)
    return out
