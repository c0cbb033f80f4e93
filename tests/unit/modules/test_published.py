from __future__ import annotations

import pytest

from olivine.domain.repofilter import PackageRecord, RepoFilter
from olivine.domain.repofilter import select as plain_select
from olivine.errors import ValidationFailed
from olivine.modules.published import ModularView, PublishedContext
from olivine.repos.state import RepoPlan
from tests.conftest import FIXTURES
from tests.unit.modules.strict import strict_ok

CI_DNF = FIXTURES / "ci-dnf-stack" / "specs"


def _rec(i: int, name: str, release: str, version: str = "1.0") -> PackageRecord:
    return PackageRecord(i, name, 0, version, release, "noarch", name)


RECS = [
    _rec(1, "tool", "1.el9", "9.0"),  # non-modular, newer than the module's
    _rec(2, "tool", "1.module+el9.4.0+1+aaaaaaaa"),  # demo:1
    _rec(3, "tool", "1.module+el9.4.0+2+bbbbbbbb", "2.0"),  # demo:2
    _rec(4, "bash", "1.el9"),
]
VIEW = ModularView(
    [
        PublishedContext("demo", "1", {}, frozenset({2})),
        PublishedContext("demo", "2", {}, frozenset({3})),
    ]
)


def _ids(view: ModularView, spec: dict, filt: RepoFilter) -> list[int]:
    return sorted(p.id for p in view.select(spec, filt, ["x86_64"], RECS)["x86_64"])


def test_keep_never_drops_a_module_package_or_the_non_modular_one() -> None:
    filt = RepoFilter("AppStream", keep=1)
    assert _ids(VIEW, {"modules": ["demo:*"]}, filt) == [1, 2, 3, 4]
    plain = plain_select(filt, ["x86_64"], RECS)["x86_64"]
    assert sorted(p.id for p in plain) == [1, 4]  # without modules, keep=1 would keep one tool


def test_only_carried_streams_and_whatever_the_packages_list() -> None:
    filt = RepoFilter("AppStream", packages=frozenset({"bash"}))
    assert _ids(VIEW, {"modules": ["demo:2"]}, filt) == [3, 4]
    assert _ids(VIEW, {}, RepoFilter("all", everything=True)) == [1, 4]  # builds never see them


def test_no_modules_no_change() -> None:
    filt = RepoFilter("AppStream")
    assert _ids(ModularView(), {"modules": ["demo:*"]}, filt) == [1, 2, 3, 4]


def test_a_module_not_complete_is_published_nowhere() -> None:
    """A finished component of a module build still running (or failed) is in no repository:
    neither `all` (builds would take it as non-modular) nor one carrying the module."""
    held = ModularView([PublishedContext("demo", "1", {}, frozenset({2}))], held_ids=frozenset({3}))
    assert _ids(held, {}, RepoFilter("all", everything=True)) == [1, 4]
    assert _ids(held, {"modules": ["demo:*"]}, RepoFilter("AppStream")) == [1, 2, 4]
    only = ModularView(held_ids=frozenset({2, 3}))
    assert _ids(only, {"modules": ["demo:*"]}, RepoFilter("all", everything=True)) == [1, 4]


def _plan(extras: dict[str, str]) -> RepoPlan:
    filt = RepoFilter("AppStream")
    return RepoPlan(1, "AppStream", filt, "gz", None, extras, {"modules": ["berry:*"]})


def test_a_given_modules_yaml_is_merged_whole_and_strictly_valid() -> None:
    """The repository's own modules.yaml (upstream, with a field libmodulemd does not know)
    and the module streams it carries: no document of either is dropped."""
    given = (CI_DNF / "additional-field-modulemd" / "modules.yaml").read_text()
    ours = (CI_DNF / "dnf-ci-thirdparty-modular" / "modules.yaml").read_text()
    view = ModularView([PublishedContext("berry", "raspberry", {"x86_64": ours}, frozenset())])
    text = view.plan_for(_plan({"modules": given}), "x86_64").extras["modules"]
    assert strict_ok(text) == (True, "")
    assert "version: 20150811143428" in text and "unknown: field" not in text  # nodejs:5 kept
    assert 'name: berry\n  stream: "raspberry"' in text


def test_a_given_modules_yaml_that_does_not_read_is_refused() -> None:
    ours = (CI_DNF / "dnf-ci-thirdparty-modular" / "modules.yaml").read_text()
    view = ModularView([PublishedContext("berry", "raspberry", {"x86_64": ours}, frozenset())])
    bad = "document: modulemd\nversion: 2\ndata: {name: x, stream: y}\n"  # no summary
    with pytest.raises(
        ValidationFailed, match=r"the repository was given does not read: .*[Ss]ummary"
    ):
        view.plan_for(_plan({"modules": bad}), "x86_64")
