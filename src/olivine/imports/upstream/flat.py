"""dist-git-flat, the Fedora / CentOS Stream layout: the spec at the root, a `sources` file,
`%autorelease` / `%autochangelog` resolved from the git history by rpmautospec. Converted to
SPECS/ + SOURCES/ on import."""

from __future__ import annotations

import shutil
from pathlib import Path

from olivine.imports.archive import ArchiveLimits
from olivine.imports.errors import SpecError, UpstreamMissing
from olivine.imports.sandboxed.runner import run_step
from olivine.imports.upstream import gitrepo
from olivine.imports.upstream.base import UpstreamRequest, UpstreamTree, parse_sources_file

AUTOSPEC_TIME_LIMIT = 600.0  # a long history: rpmautospec parses the spec at every commit

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
    bare = gitrepo.clone(req.url, work / "upstream.git", req.policy)
    picked = gitrepo.pick(bare, req.url, req.branch, req.ref)
    # the safe export is what is imported; rpmautospec reads a checkout made in the sandbox
    limits = ArchiveLimits(max_bytes=req.policy.git_max_bytes)
    src = gitrepo.export_tree(bare, picked.commit, work / "flat", req.url, limits)
    spec = src / f"{req.name}.spec"
    if not spec.is_file():
        raise UpstreamMissing(f"{req.name}.spec not found at the root of {req.url}@{picked.commit}")
    root = work / "tree"
    (root / "SPECS").mkdir(parents=True)
    (root / "SOURCES").mkdir()
    _autospec(bare, picked.commit, spec, root / "SPECS" / spec.name)
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


def _autospec(bare: Path, commit: str, spec: Path, target: Path) -> None:
    """Resolve %autorelease/%autochangelog from the history, in the sandbox (rpmautospec parses
    the spec at each commit with rpm); a copy of the spec when it uses neither macro."""
    req = {"repo": "upstream.git", "commit": commit, "spec_name": spec.name}
    ans, out = run_step(
        "autospec",
        req,
        {"upstream.git": bare},
        what=f"rpmautospec on {spec.name}",
        time_limit=AUTOSPEC_TIME_LIMIT,
        outputs=("out.spec",),
    )
    if "error" in ans:
        raise SpecError(str(ans["error"]))
    if ans.get("written") and "out.spec" in out:
        target.write_bytes(out["out.spec"])
    else:
        shutil.copyfile(spec, target)
