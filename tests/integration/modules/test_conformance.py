"""The modular fixtures published through Olivine's repositories look to dnf exactly as a
createrepo_c + modifyrepo_c repository of the same files: `dnf module list` and `dnf module
info` print the same (pulp assets-modularity: real Fedora module RPMs; ci-dnf-stack's
dnf-ci-fedora-modular: its specs built with rpmbuild as upstream builds them)."""

from __future__ import annotations

import re
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


# ci-dnf-stack's other modular repositories: several contexts of a stream, static contexts,
# several versions beside non-modular packages, third-party streams, advisories, defaults
MORE = (
    "dnf-ci-multicontext-modular",
    "dnf-ci-multicontext-hybrid-multiversion-modular",
    "dnf-ci-multicontext-hybrid-multiversion-modular-static-context",
    "dnf-ci-multicontext-modular-advisory",
    "dnf-ci-static-context-requires-change",
    "dnf-ci-thirdparty-modular",
    "dnf-ci-fifthparty-modular",
    "repoquery-modules",
)


@pytest.mark.parametrize("fixture", MORE)
def test_ci_dnf_stack_modular_repos(
    db: Database, served: Served, dnf: Dnf, tmp_path: Path, fixture: str
) -> None:
    src = DNF_MODULAR.parent / fixture
    specs = [p for p in sorted(src.glob("*.spec")) if "i686" not in p.name]
    rpms = [r for r in build_specs(specs, tmp_path / "top", ".fc29") if ".src." not in r.name]
    yaml_text = (src / "modules.yaml").read_text()
    names = _compare(db, served, dnf, rpms, yaml_text, tmp_path / "ref")
    declared = set(re.findall(r"^\s+name: (\S+)$", yaml_text, re.M))
    assert names and set(names) <= declared, (names, declared)
