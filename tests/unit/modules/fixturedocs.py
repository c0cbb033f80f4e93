"""The real module documents of the shared fixtures, read with libmodulemd."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from olivine.modules.libmodulemd import modulemd
from tests.conftest import FIXTURES

MODULARITY = FIXTURES / "pulp-fixtures" / "rpm" / "assets-modularity"
ADDITIONAL = FIXTURES / "createrepo_c" / "tests" / "testdata" / "repo_with_additional_metadata"
YAML_SPECS = FIXTURES / "libmodulemd" / "yaml_specs"


def _text(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()


def documents() -> list[Path]:
    found = [MODULARITY / "modules.yaml"]
    found += sorted((ADDITIONAL / "repodata").glob("*-modules.yaml.gz"))
    return [p for p in found if p.is_file()]


def streams_with_mbs_xmd() -> list[tuple[str, Any]]:
    """(id, stream) of every module stream that records xmd.mbs.buildrequires."""
    out = []
    for path in documents():
        index = modulemd().ModuleIndex.new()
        index.update_from_string(_text(path), False)
        for name in index.get_module_names():
            for s in index.get_module(name).get_all_streams():
                xmd = s.get_xmd() or {}
                if "buildrequires" in xmd.get("mbs", {}):
                    out.append((f"{path.parent.parent.name}:{s.get_nsvc()}", s))
    return out
