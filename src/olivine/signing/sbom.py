"""A build's SBOM: an SPDX 2.3 JSON document made with spdx-tools (validated by it), listing
the packages the build made and every entry of the build roots it was made in (project RPMs by
NEVRA and sha256, host packages by name and version). The provenance names it by sha256."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from olivine import __version__
from olivine.signing.provenance import BuildFacts, OutputRpm

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")


def _spdx_id(prefix: str, n: int, name: str) -> str:
    return "SPDXRef-" + _ID_UNSAFE.sub("-", f"{prefix}-{n}-{name}")[:120]


def _purl(project: str, nevra: str, arch: str) -> ExternalPackageRef:
    locator = f"pkg:rpm/{project}/{nevra}?arch={arch}"
    return ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", locator)


def _output(f: BuildFacts, n: int, o: OutputRpm) -> Package:
    arch = o.nevra.rsplit(".", 1)[-1]
    return Package(
        spdx_id=_spdx_id("Output", n, o.nevra),
        name=o.nevra,
        download_location=SpdxNoAssertion(),
        file_name=o.filename,
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, o.sha256)],
        external_references=[_purl(f.project, o.nevra, arch)],
        primary_package_purpose=PackagePurpose.INSTALL if arch != "src" else PackagePurpose.SOURCE,
        comment=f"rpmheader-sha256 {o.header_sha256}",
    )


def _root(n: int, arch: str, e: dict[str, Any]) -> Package | None:
    kind = e.get("kind")
    if kind == "rpm":
        sha = e.get("sha256")
        return Package(
            spdx_id=_spdx_id(f"Root-{arch}", n, e["nevra"]),
            name=e["nevra"],
            download_location=SpdxNoAssertion(),
            files_analyzed=False,
            checksums=[Checksum(ChecksumAlgorithm.SHA256, sha)] if sha else [],
            comment=f"build root ({arch}) from repository {e.get('repo')}",
        )
    if kind == "host":
        return Package(
            spdx_id=_spdx_id(f"Host-{arch}", n, str(e["name"])),
            name=str(e["name"]),
            version=str(e.get("version")),
            download_location=SpdxNoAssertion(),
            files_analyzed=False,
            comment=f"build root ({arch}): host package {e.get('host_package')}",
        )
    return None


def sbom(f: BuildFacts) -> bytes:
    created = (f.finished_at or datetime.now(UTC)).replace(microsecond=0)
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"{f.project} build {f.build_id} {f.nevr}",
        document_namespace=f"{f.base_url}/provenance/{f.project}/{f.build_id}.spdx.json",
        creators=[Actor(ActorType.TOOL, f"olivine-{__version__}")],
        created=created,
    )
    outputs = [_output(f, n, o) for n, o in enumerate(f.outputs)]
    roots = [
        p
        for root in f.roots
        for n, e in enumerate(root.entries)
        if (p := _root(n, root.arch, e)) is not None
    ]
    rels = [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, o.spdx_id) for o in outputs
    ]
    rels += [
        Relationship(r.spdx_id, RelationshipType.BUILD_DEPENDENCY_OF, o.spdx_id)
        for r in roots
        for o in outputs
    ]
    doc = Document(info, packages=[*outputs, *roots], relationships=rels)
    out = io.StringIO()
    write_document_to_stream(doc, out, validate=True)
    return out.getvalue().encode()
