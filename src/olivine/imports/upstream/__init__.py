"""Upstream readers: each turns one kind of upstream into a SPECS/SOURCES tree + lookaside."""

from __future__ import annotations

from pathlib import Path

from olivine.errors import ValidationFailed
from olivine.imports.upstream.base import KINDS, UpstreamRequest, UpstreamTree
from olivine.storage.interfaces import ObjectStore

__all__ = ["KINDS", "UpstreamRequest", "UpstreamTree", "read_upstream"]


def read_upstream(req: UpstreamRequest, work: Path, store: ObjectStore) -> UpstreamTree:
    """Read the upstream `req` names into `work` (a fresh directory the caller removes)."""
    if req.kind == "dist-git":
        from olivine.imports.upstream import distgit

        return distgit.read(req, work)
    if req.kind == "dist-git-flat":
        from olivine.imports.upstream import flat

        return flat.read(req, work)
    if req.kind == "srpm":
        from olivine.imports.upstream import srpm

        return srpm.read(req, work, store)
    if req.kind == "src-git":
        from olivine.imports.upstream import srcgit

        return srcgit.read(req, work, store)
    raise ValidationFailed(f"unknown upstream kind {req.kind!r} (known: {', '.join(KINDS)})")
