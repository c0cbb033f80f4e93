"""`olivine import diff`: the upstream tree an import took vs the tree it committed.

Computed once, by the worker, at import time (`compute`) and stored with the revision; the API
and the web UI only read the stored text (`stored_diff`): no process that answers requests
clones an upstream or parses a spec."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import ImportDiff
from olivine.errors import NotFound
from olivine.forge.gitcli import git_env
from olivine.imports import records

DIFF_LIMIT = 4 * 1024 * 1024  # characters stored; a longer diff is cut, and says so


@dataclass(frozen=True)
class StoredDiff:
    revision: records.RevisionView
    text: str
    truncated: bool


def compute(upstream: Path, imported: Path) -> tuple[str, bool]:
    """A unified diff (`a/upstream/...` vs `b/imported/...`; both directories must be siblings
    named so) and whether it was cut at DIFF_LIMIT; empty when the import changed nothing."""
    work = upstream.parent
    proc = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--", upstream.name, imported.name],
        cwd=work,
        capture_output=True,
        check=False,
        env=git_env({"GIT_CEILING_DIRECTORIES": str(work.parent)}),
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"git diff failed: {proc.stderr.decode(errors='replace').strip()}")
    text = proc.stdout.decode("utf-8", errors="replace")
    if len(text) <= DIFF_LIMIT:
        return text, False
    return text[:DIFF_LIMIT], True


def save(db: Database, revision_id: int, text: str, truncated: bool) -> None:
    with db.session() as s:
        s.merge(ImportDiff(revision_id=revision_id, diff=text, truncated=truncated))


def has(db: Database, revision_id: int) -> bool:
    with db.session() as s:
        return s.get(ImportDiff, revision_id) is not None


def stored_diff(
    db: Database, project_id: int, package: str, rev: str | int | None = None
) -> StoredDiff:
    """The stored diff of one import (default: the latest; `rev`: a revision id, forge commit,
    tag or NEVR)."""
    r = records.get_revision(db, project_id, package, rev)
    with db.session() as s:
        row = s.scalar(select(ImportDiff).where(ImportDiff.revision_id == r.id))
        if row is None:
            raise NotFound(
                f"no diff was recorded for import {r.id} of {package} (imported before diffs "
                "were stored); import it again to record one"
            )
        return StoredDiff(r, row.diff, row.truncated)


def import_diff(db: Database, project_id: int, package: str, rev: str | int | None = None) -> str:
    """The stored diff text of one import (what the API and the web UI serve)."""
    found = stored_diff(db, project_id, package, rev)
    if found.truncated:
        return found.text + f"\n[diff cut at {DIFF_LIMIT} characters]\n"
    return found.text
