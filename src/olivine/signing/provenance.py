"""A build's provenance: an in-toto Statement v1 with a SLSA v1 provenance predicate, made from
what the database records about the build (never from what a worker claims at signing time).

Built with the in-toto-attestation library's protobuf types (Statement, ResourceDescriptor,
slsa Provenance), serialised as canonical JSON (sorted keys, no spaces): those bytes are the
DSSE payload. Subjects: one per RPM file the build made, and one more per signed copy of it;
each is named by its file `sha256` AND by `rpmheader-sha256`, the SHA256HEADER of the RPM's
main header, which signing does not change and the rpmdb keeps, so a re-signed package and an
installed one (no file at all) still match their statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2 as slsa
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement

from olivine import __version__

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUILD_TYPE = "urn:olivine:buildtype:rpm:v1"
HEADER_DIGEST = "rpmheader-sha256"


@dataclass(frozen=True)
class SignedCopy:
    key_fingerprint: str
    sha256: str


@dataclass(frozen=True)
class OutputRpm:
    filename: str
    nevra: str
    sha256: str  # the file as built (unsigned)
    header_sha256: str
    signed: tuple[SignedCopy, ...] = ()


@dataclass(frozen=True)
class ArchRoot:
    arch: str
    task_id: int | None
    entries: tuple[dict[str, Any], ...]  # olivine.builds.resolve's records


@dataclass(frozen=True)
class Source:
    upstream_kind: str
    upstream_url: str
    upstream_ref: str | None
    upstream_commit: str | None
    patch_url: str | None
    patch_commit: str | None
    forge_url: str
    forge_commit: str
    forge_tag: str
    lookaside: tuple[dict[str, Any], ...]  # {path, sha256, size}


@dataclass(frozen=True)
class BuildFacts:
    build_id: int
    project: str
    package: str
    nevr: str
    scratch: bool
    builder: str  # the backend: rpmbuild | mock
    builder_version: str | None
    source: Source
    roots: tuple[ArchRoot, ...]
    outputs: tuple[OutputRpm, ...]
    started_at: datetime | None
    finished_at: datetime | None
    base_url: str


def _rd(**kw: Any) -> Any:
    return ResourceDescriptor(**{k: v for k, v in kw.items() if v}).pb


def _git(url: str, commit: str | None, name: str, ref: str | None = None) -> Any:
    uri = f"git+{url}" + (f"@{ref}" if ref else "")
    return _rd(name=name, uri=uri, digest={"gitCommit": commit} if commit else None)


def _root_entry(arch: str, e: dict[str, Any]) -> Any:
    kind = str(e.get("kind", "?"))
    notes = {"buildArch": arch, "kind": kind}
    if kind == "rpm":
        notes["repo"] = str(e.get("repo") or "")
        sha = e.get("sha256")
        return _rd(name=e["nevra"], digest={"sha256": sha} if sha else None, annotations=notes)
    if kind == "host":
        notes |= {"version": str(e.get("version")), "hostPackage": str(e.get("host_package"))}
        return _rd(name=f"host:{e['name']}", annotations=notes)
    label = e.get("capability") or e.get("reason") or kind
    return _rd(name=f"{kind}:{label}", annotations=notes)


def _dependencies(f: BuildFacts) -> list[Any]:
    s = f.source
    deps = [_git(s.upstream_url, s.upstream_commit, "upstream", s.upstream_ref)]
    if s.patch_url:
        deps.append(_git(s.patch_url, s.patch_commit, "patches"))
    deps.append(_git(s.forge_url, s.forge_commit, "forge", f"refs/tags/{s.forge_tag}"))
    for la in s.lookaside:
        notes = {"kind": "lookaside", "size": str(la.get("size"))}
        deps.append(_rd(name=la["path"], digest={"sha256": la["sha256"]}, annotations=notes))
    for root in f.roots:
        deps += [_root_entry(root.arch, e) for e in root.entries]
    notes = {"kind": "builder", "version": f.builder_version or "unknown"}
    deps.append(_rd(name=f"builder:{f.builder}", annotations=notes))
    return deps


def _external(f: BuildFacts) -> dict[str, Any]:
    s = f.source
    return {
        "project": f.project,
        "package": f.package,
        "nevr": f.nevr,
        "scratch": f.scratch,
        "upstream": {
            "kind": s.upstream_kind,
            "url": s.upstream_url,
            "ref": s.upstream_ref,
            "commit": s.upstream_commit,
        },
        "patches": {"url": s.patch_url, "commit": s.patch_commit} if s.patch_url else None,
        "forge": {"url": s.forge_url, "commit": s.forge_commit, "tag": s.forge_tag},
    }


def _predicate(f: BuildFacts, byproducts: list[Any]) -> dict[str, Any]:
    p = slsa.Provenance()
    bd = p.build_definition
    bd.build_type = BUILD_TYPE
    bd.external_parameters.update(_external(f))
    bd.internal_parameters.update({"builder": f.builder})
    bd.resolved_dependencies.extend(_dependencies(f))
    rd = p.run_details
    rd.builder.id = f"{f.base_url}/builders/{f.builder}"
    rd.builder.version.update({"olivine": __version__})
    rd.metadata.invocation_id = f"{f.base_url}/api/v1/builds/{f.build_id}"
    if f.started_at:
        rd.metadata.started_on.FromDatetime(f.started_at)
    if f.finished_at:
        rd.metadata.finished_on.FromDatetime(f.finished_at)
    rd.byproducts.extend(byproducts)
    return json_format.MessageToDict(p)


def subjects(outputs: tuple[OutputRpm, ...]) -> list[tuple[str, str, str]]:
    """(name, file sha256, header sha256) of every subject: each file, each signed copy."""
    out = []
    for o in outputs:
        out.append((o.filename, o.sha256, o.header_sha256))
        out += [(o.filename, c.sha256, o.header_sha256) for c in o.signed]
    return out


def statement(f: BuildFacts, sbom_sha256: str, sbom_uri: str) -> bytes:
    """The statement's exact bytes (what the instance key signs)."""
    subj = [
        _rd(name=name, digest={"sha256": sha, HEADER_DIGEST: hdr})
        for name, sha, hdr in subjects(f.outputs)
    ]
    sbom = _rd(
        name="sbom.spdx.json",
        uri=sbom_uri,
        digest={"sha256": sbom_sha256},
        media_type="application/spdx+json",
    )
    st = Statement(subj, PREDICATE_TYPE, _predicate(f, [sbom]))
    st.validate()
    return canonical(json_format.MessageToDict(st.pb))


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
