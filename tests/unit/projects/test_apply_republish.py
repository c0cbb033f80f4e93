"""What the apply says must be published again: new repositories, changed filters or groups,
changed arches; not a changed retention or an unchanged file."""

from __future__ import annotations

import pytest

from olivine.db.base import Database
from olivine.errors import ValidationFailed
from olivine.projects.loader import load_project_text
from olivine.projects.service import ApplyResult, ProjectService, RepositoryChange
from olivine.repos.service import ingest_rpm
from olivine.storage.fs import FsStore
from tests.conftest import FIXTURES

FILE = """\
name: rp
arches: [{arches}]
upstream: {{kind: dist-git, url: "https://git.example.org/rpms/{{name}}.git"}}
repositories:
  - name: BaseOS
    include: {{"*": [{include}]}}
    retention: {retention}
    groups: comps.xml
  - name: AppStream
"""
COMPS = "<comps/>"
RPM = FIXTURES / "pulp-fixtures" / "rpm" / "assets" / "bear-4.1-1.noarch.rpm"


def apply(
    db: Database,
    include: str = '"bash*"',
    retention: int = 5,
    arches: str = "x86_64",
    comps: str = COMPS,
) -> ApplyResult:
    pf = load_project_text(FILE.format(include=include, retention=retention, arches=arches))
    return ProjectService(db).apply(pf, None, {"BaseOS": comps})


def rpm_in(db: Database, store: FsStore) -> None:
    ingest_rpm(db, store, RPM, ProjectService(db).get("rp").id)


def test_a_project_without_rpms_has_nothing_to_publish(db: Database) -> None:
    assert apply(db).republish == [] and apply(db, include='"*"').republish == []


def test_every_new_repository_is_published(db: Database, fs_store: FsStore) -> None:
    apply(db)
    rpm_in(db, fs_store)
    with db.session() as s:
        from olivine.db.models import Repository

        s.query(Repository).delete()
    assert apply(db).republish == [
        RepositoryChange("all", ["new"]),
        RepositoryChange("BaseOS", ["new", "groups"]),
        RepositoryChange("AppStream", ["new"]),
    ]


def test_only_what_changed_is_republished(db: Database, fs_store: FsStore) -> None:
    apply(db)
    rpm_in(db, fs_store)
    assert apply(db).republish == [] and apply(db).unchanged
    assert apply(db, retention=9).republish == []  # kept revisions: nothing to publish
    res = apply(db, include='"bash*", "zsh"')
    assert res.changed_repositories == ["BaseOS"] and res.republish[0].why == ["include"]
    res = apply(db, include='"bash*", "zsh"', comps="<comps><group/></comps>")
    assert res.republish == [RepositoryChange("BaseOS", ["groups"])]
    assert "changed groups of repository BaseOS" in res.changes
    res = apply(
        db, include='"bash*", "zsh"', comps="<comps><group/></comps>", arches="x86_64, aarch64"
    )
    assert res.changed_repositories == ["all", "BaseOS", "AppStream"]


def test_comps_must_match_the_file(db: Database) -> None:
    pf = load_project_text(FILE.format(include='"*"', retention=1, arches="x86_64"))
    with pytest.raises(ValidationFailed, match="BaseOS name a groups file whose content"):
        ProjectService(db).apply(pf, None)
    with pytest.raises(ValidationFailed, match="not <comps>"):
        ProjectService(db).apply(pf, None, {"BaseOS": "<x/>"})
