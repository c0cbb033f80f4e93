from __future__ import annotations

import pytest

from olivine.errors import ValidationFailed
from olivine.modules.model import Component
from olivine.modules.order import check_cycles, groups


def test_groups_by_buildorder() -> None:
    comps = [
        Component("b", "r", buildorder=10),
        Component("a", "r"),
        Component("c", "r", buildorder=10),
    ]
    assert groups(comps) == (("a",), ("b", "c"))


def test_groups_by_buildafter_and_its_cycle() -> None:
    comps = [Component("a", "r"), Component("b", "r", buildafter=("a",))]
    assert groups(comps) == (("a",), ("b",))
    loop = [Component("a", "r", buildafter=("b",)), Component("b", "r", buildafter=("a",))]
    with pytest.raises(ValidationFailed, match="buildafter cycle among components a, b"):
        groups(loop)


def test_buildrequires_on_a_later_group_is_a_cycle() -> None:
    order = (("liba",), ("tool",))
    provides = {"liba": ["liba", "liba-devel"], "tool": ["tool"]}
    check_cycles(order, {"tool": ["liba-devel >= 1"]}, provides)  # the right way round
    with pytest.raises(ValidationFailed, match=r"liba \(group 1\) BuildRequires tool \(group 2\)"):
        check_cycles(order, {"liba": ["tool"]}, provides)


def test_mutual_buildrequires_in_one_group_is_a_cycle() -> None:
    order = (("a", "b"),)
    provides = {"a": ["a"], "b": ["b"]}
    check_cycles(order, {"a": ["b"]}, provides)  # one way: resolved against the repos
    with pytest.raises(ValidationFailed, match="BuildRequires it too"):
        check_cycles(order, {"a": ["b"], "b": ["a"]}, provides)
