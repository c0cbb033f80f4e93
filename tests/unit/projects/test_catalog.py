"""The typed catalog, read from the project_packages rows the apply wrote."""

from __future__ import annotations

import pytest

from olivine.db.base import Database
from olivine.errors import NotFound, ValidationFailed
from olivine.projects.catalog import CatalogEntry, catalog, project_file
from olivine.projects.loader import load_project_text
from olivine.projects.service import ProjectService

FILE = """\
name: cat
arches: [x86_64, aarch64]
upstream: {{kind: dist-git, url: "https://git.example.org/rpms/{{name}}.git", branch: c9}}
packages:
  - name: bash
  - name: hello
    upstream: {{kind: src-git, url: "https://git.example.org/hello.git"}}
    with: [static]
    without: [docs]
    arches: [x86_64]
{more}"""


def apply(db: Database, more: str = "") -> None:
    ProjectService(db).apply(load_project_text(FILE.format(more=more)), None)


def test_entries_are_typed_from_the_rows(db: Database) -> None:
    apply(db, "  - name: zsh\n")
    cat = catalog(db, "cat")
    assert cat.names == ["bash", "hello", "zsh"] and len(cat) == 3 and "hello" in cat
    hello = cat.get("hello")
    assert hello == CatalogEntry(
        "hello", hello.upstream, with_=("static",), without=("docs",), arches=("x86_64",)
    )
    assert hello.upstream is not None and hello.upstream.kind == "src-git"
    assert cat.get("bash").upstream is None and cat.get("bash").arches is None


def test_a_removed_package_leaves_the_catalog(db: Database) -> None:
    apply(db, "  - name: zsh\n")
    apply(db)
    cat = ProjectService(db).catalog("cat")
    assert "zsh" not in cat and cat.names == ["bash", "hello"]
    with pytest.raises(NotFound, match="not in the catalog of project cat: nope, zsh"):
        cat.require(["bash", "zsh", "nope"])
    with pytest.raises(NotFound, match="package zsh is not in the catalog"):
        cat.get("zsh")


def test_unknown_project(db: Database) -> None:
    with pytest.raises(NotFound, match="project nope does not exist"):
        catalog(db, "nope")


def test_project_file_reads_the_applied_model_back(db: Database) -> None:
    apply(db)
    svc = ProjectService(db)
    pf = svc.file("cat")
    assert pf.arches == ["x86_64", "aarch64"] and pf.package("hello") is not None
    row = svc.get("cat")
    row.spec = {**row.spec, "arches": ["m68k"]}  # as an older schema might have stored it
    with pytest.raises(ValidationFailed, match="stored project file of cat no longer validates"):
        project_file(row)
