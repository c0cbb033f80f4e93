"""Every reference document of libmodulemd's formats reads and round-trips (read, write, read
again: the same text) through the reader and writer Olivine uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from olivine.modules.libmodulemd import modulemd
from olivine.modules.metadata import validate_strict
from tests.unit.modules.fixturedocs import YAML_SPECS
from tests.unit.modules.strict import strict_ok

DOCS = sorted(YAML_SPECS.glob("*.yaml"))
PACKAGER = {"modulemd_packager_v2.yaml", "modulemd_packager_v3.yaml"}


def _round_trip(text: str) -> str:
    return str(validate_strict(text).dump_to_string())


@pytest.mark.parametrize("path", [p for p in DOCS if p.name not in PACKAGER], ids=lambda p: p.name)
def test_index_documents_round_trip(path: Path) -> None:
    once = _round_trip(path.read_text())
    assert _round_trip(once) == once
    assert strict_ok(once)[0]


@pytest.mark.parametrize("name", sorted(PACKAGER))
def test_packager_documents_round_trip(name: str) -> None:
    md = modulemd()
    doc = md.read_packager_string((YAML_SPECS / name).read_text(), "foo", "latest")
    index = doc.convert_to_index() if isinstance(doc, md.PackagerV3) else md.ModuleIndex.new()
    if not isinstance(doc, md.PackagerV3):
        index.add_module_stream(doc)
    once = str(index.dump_to_string())
    assert _round_trip(once) == once


def test_every_reference_document_is_covered() -> None:
    assert len(DOCS) == 7
