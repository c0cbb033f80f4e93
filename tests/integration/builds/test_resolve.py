"""BuildRequires resolution with libsolv against createrepo_c repos."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from olivine.builds.resolve import RepoSource, UnresolvableBuildRequires, resolve_buildroot
from olivine.errors import IntegrityFailure

from .conftest import make_repo


def _all(demo: dict[str, Any]) -> Path:
    return demo["repos"][0].path


def test_versioned_and_rich_build_requires(demo: dict[str, Any]) -> None:
    repos = (RepoSource("all", _all(demo), project=True),)
    rec = resolve_buildroot(
        ["libgreet-devel >= 1.0", "(gcc or clang)", "make"], repos, ["gcc", "make"], "x86_64"
    )
    kinds = {
        (e["kind"], e.get("nevra") or e.get("name") or e.get("capability")) for e in rec.entries
    }
    assert ("rpm", "libgreet-devel-1.0-1.el9.x86_64") in kinds
    assert ("rpm", "libgreet-1.0-1.el9.x86_64") in kinds  # pulled in by -devel's Requires
    assert ("host", "gcc") in kinds and ("host", "make") in kinds
    assert ("host-assumed", "rtld(GNU_HASH)") in kinds  # libgreet.so.1 needs the host ld.so
    assert len(rec.rpms) == 2


def test_version_too_new_is_missing(demo: dict[str, Any]) -> None:
    repos = (RepoSource("all", _all(demo), project=True),)
    with pytest.raises(UnresolvableBuildRequires) as e:
        resolve_buildroot(["libgreet-devel >= 2"], repos, [], "x86_64")
    assert e.value.missing == ["libgreet-devel >= 2"]
    assert e.value.message == "missing BuildRequires libgreet-devel >= 2"


def test_project_package_wins_over_external_repo(demo: dict[str, Any], tmp_path: Path) -> None:
    ext = make_repo(tmp_path / "ext", list(demo["lib"].rpms))
    repos = (RepoSource("base", ext, priority=10), RepoSource("all", _all(demo), project=True))
    rec = resolve_buildroot(["libgreet-devel"], repos, [], "x86_64")
    assert {e["repo"] for e in rec.entries if e["kind"] == "rpm"} == {"all"}


def test_tampered_package_fails_integrity(demo: dict[str, Any], tmp_path: Path) -> None:
    repo = Path(shutil.copytree(_all(demo), tmp_path / "all"))
    devel = next(repo.glob("libgreet-devel-*.rpm"))
    devel.write_bytes(devel.read_bytes() + b"tampered")
    with pytest.raises(IntegrityFailure, match="sha256"):
        resolve_buildroot(
            ["libgreet-devel"], (RepoSource("all", repo, project=True),), [], "x86_64"
        )
