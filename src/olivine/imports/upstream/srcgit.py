"""src-git: a project-owned source tree. The spec (`<name>.spec` at the root or under SPECS/)
and any SOURCES/ files are packaging; everything else is the source, tarred reproducibly as the
spec's Source0 under `<name>-<version>/` and moved to the lookaside."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from olivine.imports.archive import ArchiveLimits, reproducible_tar_gz
from olivine.imports.errors import SpecError, UpstreamMissing
from olivine.imports.lookaside import Blob
from olivine.imports.specs import evaluate
from olivine.imports.upstream import gitrepo
from olivine.imports.upstream.base import UpstreamRequest, UpstreamTree
from olivine.storage.interfaces import ObjectStore

PACKAGING = ("SPECS", "SOURCES", ".git", ".gitignore", ".gitattributes")


def read(req: UpstreamRequest, work: Path, store: ObjectStore) -> UpstreamTree:
    repo = gitrepo.clone(req.url, work / "upstream.git", req.policy)
    picked = gitrepo.pick(repo, req.url, None, req.ref or req.branch)
    limits = ArchiveLimits(max_bytes=req.policy.git_max_bytes)
    src = gitrepo.export_tree(repo, picked.commit, work / "src", req.url, limits)
    spec = _spec_of(src, req.name, req.url)
    root = work / "tree"
    (root / "SPECS").mkdir(parents=True)
    shutil.copy2(spec, root / "SPECS" / f"{req.name}.spec")
    if (src / "SOURCES").is_dir():
        shutil.copytree(src / "SOURCES", root / "SOURCES", symlinks=True)
    (root / "SOURCES").mkdir(exist_ok=True)
    info = evaluate(root / "SPECS" / f"{req.name}.spec", req.defines)
    source0 = info.source(0)
    if source0 is None:
        raise SpecError(f"{req.name}.spec of src-git {req.url} declares no Source0 for the tarball")
    files = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*")
        if (p.is_file() or p.is_symlink())
        and p != spec
        and p.relative_to(src).parts[0] not in PACKAGING
    ]
    prefix = f"{info.nevr.name}-{info.nevr.version}"
    with tempfile.TemporaryFile(dir=work) as tmp:
        reproducible_tar_gz(src, files, prefix, tmp)
        tmp.seek(0)
        put = store.put_stream(tmp)
    blob = Blob(f"SOURCES/{source0.filename}", put.sha256, put.size)
    return UpstreamTree(
        kind="src-git",
        url=req.url,
        branch=req.branch,
        ref=picked.ref,
        commit=picked.commit,
        root=root,
        blobs=[blob],
        commit_time=gitrepo.commit_time(repo, picked.commit),
    )


def _spec_of(src: Path, name: str, url: str) -> Path:
    for cand in (src / f"{name}.spec", src / "SPECS" / f"{name}.spec"):
        if cand.is_file():
            return cand
    raise UpstreamMissing(f"src-git {url} has no {name}.spec (at the root or under SPECS/)")
