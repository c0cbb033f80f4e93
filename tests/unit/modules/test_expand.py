from __future__ import annotations

import dataclasses

import pytest

from olivine.errors import NotFound, ValidationFailed
from olivine.modules.expand import expand
from olivine.modules.model import Component, Dependency, ModuleSource, Variant
from olivine.modules.nsvc import context, platform_of
from olivine.modules.plan import plan

EL9 = platform_of("el", 9, 4)
CATALOG = {"nodejs": ("16", "18", "20"), "perl": ("5.32",)}


def _source(*deps: Dependency, ctx: str | None = None) -> ModuleSource:
    return ModuleSource(
        name="demo",
        stream="1",
        summary="s",
        description="d",
        module_licenses=("MIT",),
        components=(Component("a", "r"),),
        variants=(Variant(deps, context=ctx),),
    )


def _brs(src: ModuleSource) -> list[dict[str, str]]:
    return [dict(e.buildrequires) for e in expand(src, CATALOG, EL9)]


def test_platform_virtual_stream_resolves_to_the_real_one() -> None:
    src = _source(Dependency({"platform": ("el9",)}, {"platform": ("el9",)}))
    [e] = expand(src, CATALOG, EL9)
    assert e.buildrequires == {"platform": "el9.4.0"}
    assert e.requires == {"platform": ("el9",)}  # the runtime requirement keeps the virtual one


def test_one_context_per_combination_of_streams() -> None:
    dep = Dependency({"platform": ("el9",), "nodejs": ("16", "18")}, {"nodejs": ("16", "18")})
    got = expand(_source(dep), CATALOG, EL9)
    assert [dict(e.buildrequires) for e in got] == [
        {"nodejs": "16", "platform": "el9.4.0"},
        {"nodejs": "18", "platform": "el9.4.0"},
    ]
    # requires on the same stream list as buildrequires narrow to the stream built against
    assert [e.requires["nodejs"] for e in got] == [("16",), ("18",)]
    assert len({context(e.buildrequires, e.requires) for e in got}) == 2


def test_empty_list_means_every_active_stream_and_minus_excludes() -> None:
    assert [b["nodejs"] for b in _brs(_source(Dependency({"nodejs": ()})))] == ["16", "18", "20"]
    only = _source(Dependency({"nodejs": ("-16",)}))
    assert [b["nodejs"] for b in _brs(only)] == ["18", "20"]


def test_requires_not_matching_buildrequires_stay_as_written() -> None:
    dep = Dependency({"nodejs": ("18",)}, {"nodejs": ("18", "20")})
    [e] = expand(_source(dep), CATALOG, EL9)
    assert e.requires == {"nodejs": ("18", "20")}


def test_unknown_module_is_named() -> None:
    with pytest.raises(NotFound, match="depends on module ruby, which neither"):
        expand(_source(Dependency({"ruby": ("3.1",)})), CATALOG, EL9)


def test_unknown_stream_is_named() -> None:
    with pytest.raises(NotFound, match=r"nodejs:14, an unknown stream \(known: 16, 18, 20\)"):
        expand(_source(Dependency({"nodejs": ("14",)})), CATALOG, EL9)


def test_declared_context_must_be_one_combination() -> None:
    fixed = _source(Dependency({"nodejs": ("18",)}), ctx="rhel9")
    [e] = expand(fixed, CATALOG, EL9)
    assert e.declared_context == "rhel9"
    with pytest.raises(ValidationFailed, match="exactly one stream"):
        expand(_source(Dependency({"nodejs": ()}), ctx="rhel9"), CATALOG, EL9)


def test_plan_is_reproducible_and_uses_declared_contexts() -> None:
    src = _source(Dependency({"platform": ("el9",)}, {"platform": ("el9",)}))
    a, b = plan(src, CATALOG, EL9, 1_700_000_000), plan(src, CATALOG, EL9, 1_700_000_000)
    assert a == b
    [c] = a.contexts
    assert str(c.nsvc).startswith("demo:1:9040020231114221320:")
    static = dataclasses.replace(
        src, variants=(dataclasses.replace(src.variants[0], context="c1"),)
    )
    assert plan(static, CATALOG, EL9, 0).contexts[0].nsvc.context == "c1"
