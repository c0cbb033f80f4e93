"""The project-file loader's bounds: alias bombs, recursive aliases and deep nesting are refused
while the tree is composed (before anything expands them), naming the line; ordinary anchors
still work; an oversized file is refused as a whole."""

from __future__ import annotations

import pytest

from olivine.errors import ValidationFailed
from olivine.projects.loader import MAX_ALIASES, MAX_DEPTH, load_project_text
from olivine.workflows.client import PayloadTooLarge

BASE = """\
name: el9
arches: [x86_64]
dist: .el9
upstream: {kind: dist-git, url: "https://git.example.org/rpms/{name}.git", branch: c9}
"""


def alias_bomb() -> str:
    """The classic "billion laughs": 9 levels of 9 aliases, 9^9 strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def refused(text: str) -> str:
    with pytest.raises(ValidationFailed) as e:
        load_project_text(text, "p.yaml")
    return e.value.message


def test_alias_bomb_is_refused_naming_the_line() -> None:
    msg = refused(alias_bomb())
    assert msg.startswith("p.yaml:") and "aliases that expand to more than" in msg
    line = int(msg.split(":")[1])
    assert 2 <= line <= 9


def test_too_many_aliases() -> None:
    items = ", ".join(["*x"] * (MAX_ALIASES + 1))
    msg = refused(BASE + f"description: &x hello\nextra: [{items}]\n")
    assert f"more than {MAX_ALIASES} aliases" in msg and msg.startswith("p.yaml:6:")


def test_recursive_alias() -> None:
    assert "refers to a node that contains it" in refused(BASE + "extra: &r [1, *r]\n")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_thousand_deep_nesting(style: str) -> None:
    if style == "flow":
        text = BASE + "extra: " + "[" * 1000 + "]" * 1000 + "\n"
    else:
        text = BASE + "extra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 1000))
    msg = refused(text)
    line = 5 if style == "flow" else 5 + MAX_DEPTH - 1  # where the first level too deep starts
    assert f"nesting deeper than {MAX_DEPTH} levels" in msg and msg.startswith(f"p.yaml:{line}:")


def test_ordinary_anchors_still_work() -> None:
    text = BASE + "packages:\n  - &p {name: bash, with: [static]}\n  - {name: hello}\n"
    assert load_project_text(text).package("bash") is not None


def test_a_file_too_large_for_a_workflow_is_refused() -> None:
    with pytest.raises(PayloadTooLarge) as e:
        load_project_text(BASE + f"description: {'x' * 1_500_000}\n", "big.yaml")
    assert e.value.status == 413 and "big.yaml" in e.value.message


def test_control_characters_are_invalid_yaml() -> None:
    assert "not valid YAML: unacceptable character #x0000" in refused(BASE + "description: a\0b\n")
