"""The workflow's build steps without Temporal: SRPM step, arch step, finish step, on the
database under test, a local forge and the fs store; the program's build root comes from the
published `all` repo and its packages from the object store."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from olivine.builds import records
from olivine.builds.steps import (
    BuildFailed,
    arch_step,
    finish_step,
    published_in_all,
    srpm_step,
)
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package
from olivine.errors import Conflict
from olivine.forge.local import LocalForge
from olivine.projects.service import ProjectService
from olivine.repos.service import publish_project
from olivine.storage.fs import FsStore

from .conftest import EXAMPLES, project


def _import(db: Database, forge: LocalForge, project_id: int, name: str, pkg: str) -> int:
    res = forge.commit_tree(name, pkg, "main", EXAMPLES / pkg, f"import {pkg}")
    with db.session() as s:
        package = s.scalar(select(Package).where(Package.name == pkg))
        assert package is not None
        rev = ImportRevision(
            project_id=project_id,
            package_id=package.id,
            upstream_kind="dist-git",
            upstream_url="file:///u",
            forge_repo=f"{name}/rpms/{pkg}",
            forge_branch="main",
            forge_commit=res.commit,
            forge_tag=f"imports/main/{pkg}-1.0-1",
            version="1.0",
            release="1",
        )
        s.add(rev)
        s.flush()
        return rev.id


def _build(db: Database, forge: LocalForge, store: FsStore, rev: int, **kw: bool) -> dict:
    b = records.create_build(db, rev, **kw)
    lines: list[str] = []
    srpm = srpm_step(db, forge, store, b, lines.append)
    results = [
        arch_step(db, store, b, srpm.srpm_sha256, srpm.srpm_name, a, lines.append)
        for a in srpm.arches
    ]
    out = finish_step(db, store, b, srpm, results, lines.append)
    if out["artifact_ids"]:  # what the project's publisher does next
        project_id = records.get_build(db, b).project_id
        pub = publish_project(db, store, project_id, changed=out["artifact_ids"])
        out["published"] = {"revisions": pub.revisions}
    return {"build": b, "srpm": srpm, "results": results, "summary": out, "log": lines}


def test_library_then_program_through_the_published_all_repo(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap missing")
    name = f"demo-{uuid.uuid4().hex[:6]}"
    pf = project(name=name, packages=[{"name": "libgreet"}, {"name": "greet"}])
    applied = ProjectService(db).apply(pf, None)
    forge = LocalForge(tmp_path / "forge")
    lib_rev = _import(db, forge, applied.project_id, name, "libgreet")
    prog_rev = _import(db, forge, applied.project_id, name, "greet")

    lib = _build(db, forge, fs_store, lib_rev)
    assert records.get_build(db, lib["build"]).status == "complete"
    names = sorted(r["name"] for r in lib["summary"]["rpms"])
    assert names[0] == "libgreet-1.0-1.el9.src.rpm" and len(names) == 4
    assert lib["summary"]["published"]["revisions"]

    assert published_in_all(db, applied.project_id, lib["summary"]["artifact_ids"])
    prog = _build(db, forge, fs_store, prog_rev)
    info = records.get_build(db, prog["build"])
    assert info.status == "complete" and info.nevr == "greet-1.0-1.el9"
    (arch,) = records.arch_records(db, prog["build"])
    devel = next(e for e in arch.entries if e.get("nevra", "").startswith("libgreet-devel"))
    assert devel["repo"] == "all" and fs_store.exists(devel["sha256"])

    with pytest.raises(Conflict, match="already built into this project"):
        _build(db, forge, fs_store, lib_rev)
    scratch = _build(db, forge, fs_store, lib_rev, scratch=True)
    assert scratch["summary"]["scratch"] and "published" not in scratch["summary"]


def test_failed_arch_fails_the_build_and_publishes_nothing(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    name = f"demo-{uuid.uuid4().hex[:6]}"
    applied = ProjectService(db).apply(project(name=name, packages=[{"name": "greet"}]), None)
    forge = LocalForge(tmp_path / "forge")
    rev = _import(db, forge, applied.project_id, name, "greet")
    with pytest.raises(BuildFailed, match="x86_64: missing BuildRequires libgreet-devel"):
        _build(db, forge, fs_store, rev)
    (b,) = [r for r in _builds_of(db, rev)]
    assert records.get_build(db, b).status == "failed"
    assert records.arch_records(db, b)[0].reason == "missing BuildRequires libgreet-devel"


def _builds_of(db: Database, rev: int) -> list[int]:
    from olivine.db.models import Build

    with db.session() as s:
        return list(s.scalars(select(Build.id).where(Build.import_revision_id == rev)))
