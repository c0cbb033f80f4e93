"""dist-git, Enterprise Linux layout: SPECS/, SOURCES/ and `.<name>.metadata`."""

from __future__ import annotations

from pathlib import Path

from olivine.imports.archive import ArchiveLimits
from olivine.imports.upstream import gitrepo
from olivine.imports.upstream.base import (
    UpstreamRequest,
    UpstreamTree,
    metadata_name,
    parse_metadata,
)


def read(req: UpstreamRequest, work: Path) -> UpstreamTree:
    repo = gitrepo.clone(req.url, work / "upstream.git", req.policy)
    picked = gitrepo.pick(repo, req.url, req.branch, req.ref)
    limits = ArchiveLimits(max_bytes=req.policy.git_max_bytes)
    root = gitrepo.export_tree(repo, picked.commit, work / "tree", req.url, limits)
    meta = root / metadata_name(req.name)
    refs = parse_metadata(meta.read_text(), meta.name) if meta.is_file() else []
    return UpstreamTree(
        kind=req.kind,
        url=req.url,
        branch=req.branch,
        ref=picked.ref,
        commit=picked.commit,
        root=root,
        lookaside=refs,
        commit_time=gitrepo.commit_time(repo, picked.commit),
    )
