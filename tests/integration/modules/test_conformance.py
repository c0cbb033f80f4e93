"""The modular fixtures published through Olivine's repositories look to dnf exactly as a
createrepo_c + modifyrepo_c repository of the same files: `dnf module list` and `dnf module
info` print the same (pulp assets-modularity: real Fedora module RPMs; ci-dnf-stack's
dnf-ci-fedora-modular: its specs built with rpmbuild as upstream builds them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from olivine.repos.service import set_repo_extras
from tests.conftest import FIXTURES
from tests.integration.modules.refrepo import build_specs, module_cmd, reference_repo
from tests.integration.repos.conftest import Dnf, Served
from tests.unit.repos.helpers import make_project

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")

MODULARITY = FIXTURES / "pulp-fixtures" / "rpm" / "assets-modularity"
DNF_MODULAR = FIXTURES / "ci-dnf-stack" / "specs" / "dnf-ci-fedora-modular"


def _compare(
    db: Database, served: Served, dnf: Dnf, rpms: list[Path], yaml_text: str, ref: Path
) -> list[str]:
    pid = make_project(db, repositories=[{"name": "AppStream"}])
    for rpm in rpms:
        ingest_rpm(db, served.store, rpm, pid)
    set_repo_extras(db, "el9", "AppStream", {"modules": yaml_text})
    publish_project(db, served.store, pid)
    ours = f"{served.url}/repos/el9/AppStream/x86_64/"
    theirs = reference_repo(rpms, yaml_text, ref)
    listed = module_cmd(dnf, ours, "f29", "list")
    assert listed == module_cmd(dnf, theirs, "f29", "list")
    names = sorted(
        {line.split()[0] for line in listed.splitlines()[1:] if line.strip()} - {"Name", "Hint:"}
    )
    for name in names:
        assert module_cmd(dnf, ours, "f29", "info", name) == module_cmd(
            dnf, theirs, "f29", "info", name
        ), name
    return names


def test_pulp_assets_modularity(db: Database, served: Served, dnf: Dnf, tmp_path: Path) -> None:
    rpms = sorted(MODULARITY.glob("*.rpm"))
    yaml_text = (MODULARITY / "modules.yaml").read_text()
    names = _compare(db, served, dnf, rpms, yaml_text, tmp_path / "ref")
    assert {"nodejs", "postgresql", "dwm"} <= set(names)


def test_ci_dnf_stack_fedora_modular(
    db: Database, served: Served, dnf: Dnf, tmp_path: Path
) -> None:
    rpms = build_specs(sorted(DNF_MODULAR.glob("*.spec")), tmp_path / "top", ".fc29")
    rpms = [r for r in rpms if not r.name.endswith(".src.rpm")]
    yaml_text = (DNF_MODULAR / "modules.yaml").read_text()
    names = _compare(db, served, dnf, rpms, yaml_text, tmp_path / "ref")
    assert {"nodejs", "postgresql"} <= set(names)
