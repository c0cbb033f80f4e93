from __future__ import annotations

import re

import pytest

from olivine.errors import ValidationFailed
from olivine.modules.source import read_source
from tests.unit.modules.fixturedocs import YAML_SPECS

GOOD = """---
document: modulemd-packager
version: 2
data:
  summary: A test module
  description: Three components in two groups.
  license:
    module: [MIT]
  dependencies:
  - buildrequires: {platform: [el9]}
    requires: {platform: [el9]}
  components:
    rpms:
      liba:
        rationale: The library.
        buildorder: 1
      tool:
        rationale: The tool, built against liba.
        buildorder: 2
"""


def test_packager_v2_reads_with_name_and_stream_from_the_import() -> None:
    s = read_source(GOOD, "demo", "1.0")
    assert (s.name, s.stream) == ("demo", "1.0")
    assert [(c.name, c.buildorder) for c in s.components] == [("liba", 1), ("tool", 2)]
    assert s.variants[0].dependencies[0].buildrequires == {"platform": ("el9",)}
    assert s.variants[0].context is None


@pytest.mark.parametrize(
    "name", ["modulemd_packager_v2.yaml", "modulemd_packager_v3.yaml", "modulemd_stream_v2.yaml"]
)
def test_reference_documents_read(name: str) -> None:
    s = read_source((YAML_SPECS / name).read_text(), "foo", "latest")
    assert s.components and s.variants


def test_packager_v3_gives_one_variant_per_declared_context() -> None:
    s = read_source((YAML_SPECS / "modulemd_packager_v3.yaml").read_text())
    assert [v.context for v in s.variants] == ["CTX1", "CTX2"]
    assert s.variants[0].dependencies[0].buildrequires == {
        "appframework": ("v1",),
        "platform": ("f32",),
    }


def test_stream_name_written_as_a_number_stays_text() -> None:
    s = read_source(GOOD.replace("data:\n", "data:\n  name: demo\n  stream: 1.10\n"))
    assert s.stream == "1.10"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("  summary: A test module\n", ""), "data.summary is missing"),
        (("  description: Three components in two groups.\n", ""), "data.description is missing"),
        (("    module: [MIT]\n", "    module: MIT\n"), "data.license.module must be a list"),
        (("data:\n", "data:\n  stream: [1, 2]\n"), "data.stream must be a string, not a list"),
        (("data:\n", "data:\n  name: {a: b}\n"), "data.name must be a string, not a mapping"),
        (
            ("        rationale: The library.\n", ""),
            "rpms.liba.rationale is missing",
        ),
        (
            ("        buildorder: 2\n", "        buildorder: two\n"),
            "rpms.tool.buildorder must be an integer",
        ),
        (("version: 2\n", "version: 9\n"), "modulemd-packager v9 is not a known document"),
        (
            ("document: modulemd-packager", "document: modulemd-frob"),
            "modulemd-frob v2 is not a known",
        ),
        (("document: modulemd-packager\n", ""), "document is missing"),
        (("  components:", "  buildopts: {}\n  components:"), "data.buildopts is not part of a"),
        (
            ("  - buildrequires: {platform: [el9]}", "  - buildrequires: {platform: el9}"),
            "data.dependencies[0].buildrequires.platform must be a list",
        ),
    ],
)
def test_invalid_documents_are_refused_with_the_field_named(
    edit: tuple[str, str], field: str
) -> None:
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(ValidationFailed, match=re.escape(field)):
        read_source(text, "demo", "1.0")


def test_buildopts_macros_of_a_stream_document() -> None:
    text = GOOD.replace("modulemd-packager", "modulemd").replace(
        "data:\n", "data:\n  name: demo\n  stream: '1'\n"
    )
    text = text.replace(
        "  components:", "  buildopts:\n    rpms:\n      macros: '%x 1'\n  components:"
    )
    s = read_source(text)
    assert s.rpm_macros == "%x 1" and s.variants[0].rpm_macros == "%x 1"


def test_v3_configuration_buildopts_per_variant() -> None:
    s = read_source((YAML_SPECS / "modulemd_packager_v3.yaml").read_text())
    assert "%demomacro 1" in s.variants[0].rpm_macros and s.variants[1].rpm_macros == ""


def test_not_yaml_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="not YAML"):
        read_source("document: [unclosed", "demo", "1")


def test_stream_document_needs_its_name() -> None:
    text = GOOD.replace("modulemd-packager", "modulemd")
    with pytest.raises(ValidationFailed, match=r"data\.name is missing"):
        read_source(text, "demo", "1")
