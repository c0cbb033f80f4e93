"""Comps files sent with the project file: matched to the repositories naming them, checked."""

from __future__ import annotations

import pytest

from olivine.errors import ValidationFailed
from olivine.projects.groups import MAX_COMPS_BYTES, check_comps, comps_for, stash, unstash
from olivine.projects.loader import load_project_text
from olivine.storage.fs import FsStore

COMPS = "<comps><group><id>core</id><name>Core</name></group></comps>"
PF = load_project_text("""\
name: g
upstream: {kind: dist-git, url: "https://git.example.org/rpms/{name}.git"}
repositories:
  - {name: BaseOS, groups: comps/base.xml}
  - {name: AppStream, groups: comps/base.xml}
  - {name: CRB}
""")


def test_each_repository_gets_the_file_it_names() -> None:
    assert comps_for(PF, {"comps/base.xml": COMPS}) == {"BaseOS": COMPS, "AppStream": COMPS}


def test_a_named_file_not_sent_or_a_file_not_named() -> None:
    with pytest.raises(ValidationFailed, match=r"groups file comps/base.xml .* was not sent"):
        comps_for(PF, {})
    with pytest.raises(ValidationFailed, match=r"sent for other\.xml, which no repository names"):
        comps_for(PF, {"comps/base.xml": COMPS, "other.xml": COMPS})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<comps><group>", r"x.xml:1:15: not well-formed XML"),
        ("<groups/>", "the root element is <groups>, not <comps>"),
        ('<!DOCTYPE c [<!ENTITY a "aaaa">]><comps>&a;</comps>', "declares XML entities"),
        ("<comps>" + " " * MAX_COMPS_BYTES + "</comps>", "larger than 8 MiB"),
    ],
)
def test_bad_comps(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        check_comps(text, "x.xml")


def test_stash_round_trip(fs_store: FsStore) -> None:
    refs = stash(fs_store, {"BaseOS": COMPS})
    assert len(refs["BaseOS"]) == 64 and unstash(fs_store, refs) == {"BaseOS": COMPS}
