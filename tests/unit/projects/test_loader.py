from __future__ import annotations

from pathlib import Path

import pytest

from olivine.errors import ValidationFailed
from olivine.projects.loader import load_project_text

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

GOOD = """\
name: el9
arches: [x86_64, aarch64]
dist: .el9
vendor: {family: el, major: 9, minor: 4}
upstream:
  kind: dist-git
  url: https://git.example.org/rpms/{name}.git
  branch: c9
  lookaside: https://git.example.org/sources/{name}/{branch}/{hash}
repositories:
  - name: BaseOS
    include: {"*": ["bash*"]}
    keep: 2
packages:
  - name: bash
  - name: hello
    upstream: {kind: src-git, url: "https://git.example.org/hello.git", branch: main}
    with: [static]
"""


def test_good_file_and_overrides() -> None:
    pf = load_project_text(GOOD)
    assert pf.name == "el9" and pf.arches == ["x86_64", "aarch64"]
    assert pf.upstream_for("hello").kind == "src-git"
    assert pf.upstream_for("hello").lookaside == pf.upstream.lookaside  # type: ignore[union-attr]
    assert pf.upstream_for("bash").branch == "c9"
    assert pf.package("hello").with_ == ["static"]  # type: ignore[union-attr]
    assert pf.normalised()["packages"][1]["with"] == ["static"]


@pytest.mark.parametrize(
    ("edit", "where", "needle"),
    [
        (("keep: 2", "keep: 0"), "13:11", "keep must be"),
        (("keep: 2", "kept: 2"), "13:5", "unknown key 'kept'"),
        (("dist: .el9", "dist: 'el 9'"), "3:7", "dist must"),
        (("  - name: bash\n", "  - name: bash\n  - name: bash\n"), "1:1", "listed twice"),
        (("url: https://git", "url: ftp://git"), "7:8", "https://"),
        (("name: el9", "name: EL9"), "1:7", "name"),
        (("- name: BaseOS", "- name: all"), "11:11", "reserved"),
        (("name: el9", "name: list"), "1:7", "'list' is a reserved project name"),
        (("name: el9", "name: show"), "1:7", "'show' is a reserved project name"),
        (("name: el9", "name: download"), "1:7", "'download' is a reserved project name"),
        (("vendor: {family: el, major: 9, minor: 4}", "vendor: {family: bsd}"), "4:18", "family"),
    ],
)
def test_errors_name_the_position(edit: tuple[str, str], where: str, needle: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        load_project_text(GOOD.replace(*edit), "el9.yaml")
    assert f"el9.yaml:{where}:" in e.value.message and needle in e.value.message


def test_package_without_any_upstream() -> None:
    text = "name: x\npackages:\n  - name: bash\n"
    with pytest.raises(ValidationFailed, match="bash has no upstream"):
        load_project_text(text)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("projects/*.yaml")), ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    assert load_project_text(path.read_text(), str(path)).name
