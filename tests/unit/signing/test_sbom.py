"""The SBOM read back by spdx-tools' own parser and validator: SPDX 2.3, every output and every
build-root entry, outputs described by the document, build-root entries as build dependencies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spdx_tools.spdx.model import RelationshipType
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from olivine.signing.provenance import ArchRoot, BuildFacts, OutputRpm, Source
from olivine.signing.sbom import sbom

FACTS = BuildFacts(
    build_id=7,
    project="el9",
    package="greet",
    nevr="greet-1.0-1.el9",
    scratch=False,
    builder="rpmbuild",
    builder_version="4.18.0",
    source=Source("dist-git", "https://up/greet.git", "c9", "1" * 40, None, None,
                  "http://o/git/el9/rpms/greet.git", "3" * 40, "imports/r9/greet-1.0-1", ()),
    roots=(
        ArchRoot("x86_64", 1, (
            {"kind": "rpm", "nevra": "bash-5.1-1.el9.x86_64", "sha256": "6" * 64, "repo": "all"},
            {"kind": "host", "name": "gcc", "host_package": "gcc", "version": "12.2.0"},
            {"kind": "host-assumed", "capability": "libc.so.6"},
        )),
        ArchRoot("aarch64", 2, (
            {"kind": "host", "name": "gcc", "host_package": "gcc", "version": "12.2.0"},
        )),
    ),
    outputs=(
        OutputRpm("greet-1.0-1.el9.x86_64.rpm", "greet-1.0-1.el9.x86_64", "a" * 64, "b" * 64),
        OutputRpm("greet-1.0-1.el9.src.rpm", "greet-1.0-1.el9.src", "c" * 64, "d" * 64),
    ),
    started_at=None,
    finished_at=datetime(2026, 12, 1, tzinfo=UTC),
    base_url="http://o",
)  # fmt: skip


def test_sbom_is_valid_spdx_with_outputs_and_build_root(tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    data = sbom(FACTS)
    path.write_bytes(data)
    doc = parse_file(str(path))
    assert validate_full_spdx_document(doc) == []
    assert doc.creation_info.spdx_version == "SPDX-2.3"
    names = [p.name for p in doc.packages]
    assert names.count("gcc") == 2  # one per arch build root
    assert {"greet-1.0-1.el9.x86_64", "greet-1.0-1.el9.src", "bash-5.1-1.el9.x86_64"} <= set(names)
    described = {r.related_spdx_element_id for r in doc.relationships
                 if r.relationship_type == RelationshipType.DESCRIBES}  # fmt: skip
    assert len(described) == 2
    deps = [r for r in doc.relationships
            if r.relationship_type == RelationshipType.BUILD_DEPENDENCY_OF]  # fmt: skip
    assert len(deps) == 3 * 2  # three build-root packages, each a dependency of both outputs
    assert (
        sbom(FACTS) == data
    )  # the same facts make the same bytes (its sha256 is in the statement)
