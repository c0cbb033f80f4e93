"""dist-git-flat, the Fedora / CentOS Stream layout: the spec at the root, a `sources` file,
`%autorelease` / `%autochangelog` resolved from the git history by rpmautospec. Converted to
SPECS/ + SOURCES/ on import."""

from __future__ import annotations

import shutil
from pathlib import Path

from olivine.forge.gitcli import run_git
from olivine.imports.errors import SpecError, UpstreamMissing
from olivine.imports.specs import RPM_LOCK, reset_macros
from olivine.imports.upstream import gitrepo
from olivine.imports.upstream.base import UpstreamRequest, UpstreamTree, parse_sources_file

# Files of a Fedora dist-git that are not sources of the package (CI, gating, tooling).
NOT_SOURCES = frozenset(
    {
        "sources",
        "changelog",
        "gating.yaml",
        "rpminspect.yaml",
        "rpmlint.toml",
        "README.md",
        "README",
        "ci.fmf",
        "plans.fmf",
        "tests.fmf",
        "dead.package",
    }
)


def read(req: UpstreamRequest, work: Path) -> UpstreamTree:
    bare = gitrepo.clone(req.url, work / "upstream.git")
    picked = gitrepo.pick(bare, req.url, req.branch, req.ref)
    checkout = work / "checkout"
    run_git(["clone", "--quiet", "--no-checkout", str(bare), str(checkout)])
    run_git(["-c", "advice.detachedHead=false", "checkout", "--quiet", picked.commit], cwd=checkout)
    # the safe export is what is imported; the checkout only feeds rpmautospec the history
    src = gitrepo.export_tree(bare, picked.commit, work / "flat", req.url)
    spec = src / f"{req.name}.spec"
    if not spec.is_file():
        raise UpstreamMissing(f"{req.name}.spec not found at the root of {req.url}@{picked.commit}")
    root = work / "tree"
    (root / "SPECS").mkdir(parents=True)
    (root / "SOURCES").mkdir()
    _autospec(checkout / spec.name, root / "SPECS" / spec.name)
    for f in sorted(src.iterdir()):
        if f == spec or f.name.startswith(".") or f.name in NOT_SOURCES or f.suffix == ".fmf":
            continue
        if f.is_file() and not f.is_symlink():
            shutil.copy2(f, root / "SOURCES" / f.name)
    sources = src / "sources"
    refs = parse_sources_file(sources.read_text(), "sources") if sources.is_file() else []
    return UpstreamTree(
        kind=req.kind,
        url=req.url,
        branch=req.branch,
        ref=picked.ref,
        commit=picked.commit,
        root=root,
        lookaside=refs,
        commit_time=gitrepo.commit_time(bare, picked.commit),
    )


def _autospec(spec: Path, target: Path) -> None:
    """Resolve %autorelease/%autochangelog from the history (a copy when the spec uses neither)."""
    from rpmautospec import process_distgit
    from rpmautospec.exc import SpecParseFailure

    try:
        with RPM_LOCK:  # rpmautospec parses the spec with rpm: the same process-global state
            try:
                process_distgit(spec, target, enable_caching=False)
            finally:
                reset_macros()
        if not target.exists():  # the spec uses neither macro: nothing was written
            shutil.copy2(spec, target)
    except SpecParseFailure as e:
        raise SpecError(f"{spec.name}: rpmautospec could not process it: {e}") from None
