"""`olivine import diff`: the upstream tree an import took vs the tree it committed."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from olivine.db.base import Database
from olivine.forge.gitcli import git_env
from olivine.forge.interfaces import Forge
from olivine.imports import records
from olivine.imports.service import ProjectRef, defines_for
from olivine.imports.upstream import UpstreamRequest, read_upstream
from olivine.storage.interfaces import ObjectStore


def import_diff(
    db: Database,
    store: ObjectStore,
    forge: Forge,
    project: ProjectRef,
    package: str,
    rev: str | int | None = None,
) -> str:
    """A unified diff (`a/upstream/...` vs `b/imported/...`) of one import (default: the
    latest); empty when the import changed nothing."""
    r = records.get_revision(db, project.id, package, rev)
    with tempfile.TemporaryDirectory(prefix="olivine-diff-") as tmp:
        work = Path(tmp)
        srpm = None
        if r.upstream_kind == "srpm" and r.upstream_commit:
            srpm = store.download(r.upstream_commit, work / f"{package}.src.rpm")
        req = UpstreamRequest(
            kind=r.upstream_kind,
            url=r.upstream_url,
            name=package,
            branch=r.upstream_branch,
            ref=None if srpm else r.upstream_commit,
            srpm=srpm,
            defines=tuple(defines_for(project.file, package)),
        )
        (work / "read").mkdir()
        up = read_upstream(req, work / "read", store)
        up.root.rename(work / "upstream")
        forge.export(project.name, package, r.forge_commit, work / "imported")
        proc = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--", "upstream", "imported"],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            env=git_env({"GIT_CEILING_DIRECTORIES": str(work.parent)}),
        )
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"git diff failed: {proc.stderr.strip()}")
        return proc.stdout
