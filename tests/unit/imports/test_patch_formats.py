"""A directive file is upstream content read by the root worker: its YAML is composed with the
project file's bounds (olivine.projects.loader.BoundedLoader), so an alias bomb or deep nesting
is a DirectiveError naming the file and line, quickly, never a RecursionError or a stall."""

from __future__ import annotations

import time

import pytest

from olivine.imports.errors import DirectiveError
from olivine.imports.patches.formats import load_yaml
from olivine.projects.loader import MAX_ALIASES, MAX_DEPTH


def _bomb(levels: int = 9) -> str:
    """The billion laughs: 10^levels strings from a few hundred bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_naming_the_line() -> None:
    text = _bomb()
    assert len(text) < 1000
    t = time.monotonic()
    with pytest.raises(DirectiveError) as err:
        load_yaml("PATCHES/bomb.yaml", text)
    assert time.monotonic() - t < 1.0
    assert err.value.directive == "file"
    assert err.value.origin == "PATCHES/bomb.yaml:4"  # a3's aliases pass the node bound
    assert err.value.problem == "refused: aliases that expand to more than 10000 nodes"


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x 1\nl: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(DirectiveError, match=rf"more than {MAX_ALIASES} aliases") as err:
        load_yaml("PATCHES/a.yaml", text)
    assert err.value.origin == "PATCHES/a.yaml:2"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 100_000])
def test_deep_nesting_is_refused_not_a_recursion_error(depth: int) -> None:
    text = "replace:\n  - file: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(DirectiveError) as err:
        load_yaml("PATCHES/deep.yaml", text)
    assert err.value.origin == "PATCHES/deep.yaml:2"
    assert err.value.problem == f"refused: nesting deeper than {MAX_DEPTH} levels"


def test_a_directive_file_within_the_bounds_keeps_its_anchors_and_lines() -> None:
    text = (
        "delete:\n"
        "  - &gone {file: SOURCES/a.txt}\n"
        "spec:\n"
        "  append:\n"
        "    - {field: Release, value: .olv}\n"
    )
    df = load_yaml("PATCHES/ok.yaml", text)
    assert [(d.file, d.origin.line) for d in df.delete] == [("SOURCES/a.txt", 2)]
    assert [(a.field, a.value, a.origin.line) for a in df.append] == [("Release", ".olv", 5)]
