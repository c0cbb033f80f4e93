from olivine.domain.buildorder import build_order, capability_names


def test_capability_names_strip_versions_and_rich_words() -> None:
    assert capability_names("foo-devel >= 1.2-3") == ["foo-devel"]
    assert capability_names("(a >= 1 or (b and c))") == ["a", "b", "c"]
    assert capability_names("libfoo.so.1()(64bit)") == ["libfoo.so.1()(64bit)"]


def test_library_before_program() -> None:
    order = build_order(
        {"prog": ["libfoo-devel", "gcc"], "libfoo": ["gcc"]},
        {"libfoo": ["libfoo", "libfoo-devel"], "prog": ["prog"]},
    )
    assert order.levels == ((("libfoo",),), (("prog",),))
    assert order.order() == ["libfoo", "prog"]
    assert order.cycles == []


def test_cycle_is_one_group_and_reported() -> None:
    order = build_order(
        {"a": ["b-devel"], "b": ["a"], "c": ["a"], "d": []},
        {"a": ["a"], "b": ["b", "b-devel"], "c": ["c"], "d": ["d"]},
    )
    assert order.cycles == [("a", "b")]
    assert order.levels == ((("a", "b"), ("d",)), (("c",),))


def test_independent_packages_share_a_level_and_self_requires_are_ignored() -> None:
    order = build_order({"x": ["x"], "y": []}, {"x": ["x"], "y": ["y"]})
    assert order.levels == ((("x",), ("y",)),)


def test_long_chain_does_not_recurse() -> None:
    n = 3000
    req = {f"p{i}": [f"p{i - 1}"] if i else [] for i in range(n)}
    prov = {f"p{i}": [f"p{i}"] for i in range(n)}
    order = build_order(req, prov)
    assert len(order.levels) == n
    assert order.order()[:3] == ["p0", "p1", "p2"]
