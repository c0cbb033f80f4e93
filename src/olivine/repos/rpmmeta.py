"""Read one RPM's header once (createrepo_c) and render its primary/filelists/other XML chunks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import createrepo_c as cr

from olivine.domain import multilib
from olivine.domain.nevra import parse_nevra
from olivine.errors import ValidationFailed

RPM_MAGIC = b"\xed\xab\xee\xdb"
RPM_NS = "http://linux.duke.edu/metadata/rpm"
CHANGELOG_LIMIT = 10  # createrepo_c's default, so the metadata matches what it would write


@dataclass(frozen=True)
class RpmMeta:
    name: str
    epoch: int
    version: str
    release: str
    arch: str
    filename: str
    location_href: str
    sourcerpm: str | None
    source_name: str
    license: str | None
    summary: str | None
    buildtime: int | None
    size_package: int
    size_installed: int
    primary_xml: str
    filelists_xml: str
    other_xml: str
    multilib_runtime: bool
    multilib_devel: bool


def location_for(filename: str) -> str:
    """Where a package sits in every repo: `Packages/<first letter, lower case>/<file>`."""
    return f"Packages/{filename[0].lower()}/{filename}"


def check_rpm_file(path: Path, label: str) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ValidationFailed(f"{label}: cannot read: {e.strerror}") from None
    if magic != RPM_MAGIC:
        raise ValidationFailed(f"{label}: not an RPM file (no RPM lead magic at its start)")


def source_name_of(name: str, arch: str, sourcerpm: str | None) -> str:
    if arch in ("src", "nosrc") or not sourcerpm:
        return name
    try:
        return parse_nevra(sourcerpm).name
    except ValidationFailed:
        return name


def _files_and_provides(
    pkg: cr.Package, primary: str, filelists: str
) -> tuple[list[str], list[str]]:
    try:
        files = [f"{d}{n}" for (_t, d, n, *_rest) in pkg.files]
        provides = [p[0] for p in pkg.provides]
        return files, provides
    except UnicodeDecodeError:
        # headers in legacy encodings: createrepo_c's Python getters insist on UTF-8, while its
        # XML dump converts the text; read the names back from the rendered (UTF-8) XML
        wrap = f'<r xmlns:rpm="{RPM_NS}">{primary}</r>'
        prov = ET.fromstring(wrap).iterfind(".//rpm:provides/rpm:entry", {"rpm": RPM_NS})
        return (
            [f.text or "" for f in ET.fromstring(filelists).iter("file")],
            [e.get("name", "") for e in prov],
        )


def read_rpm(path: Path, label: str) -> RpmMeta:
    """Header facts and rendered XML of the RPM at `path`; ValidationFailed if unreadable."""
    check_rpm_file(path, label)
    try:
        pkg = cr.package_from_rpm(
            str(path), checksum_type=cr.SHA256, changelog_limit=CHANGELOG_LIMIT
        )
    except Exception as e:  # createrepo_c raises its own error type with the rpm reason
        raise ValidationFailed(f"{label}: cannot read the RPM header: {e}") from None
    arch = "src" if pkg.arch in ("src", "nosrc") else pkg.arch
    filename = f"{pkg.name}-{pkg.version}-{pkg.release}.{arch}.rpm"
    href = pkg.location_href = location_for(filename)
    primary, filelists = cr.xml_dump_primary(pkg), cr.xml_dump_filelists(pkg)
    files, provides = _files_and_provides(pkg, primary, filelists)
    ml = multilib.facts(pkg.name, arch, files, provides)
    return RpmMeta(
        name=pkg.name,
        epoch=int(pkg.epoch or 0),
        version=pkg.version,
        release=pkg.release,
        arch=arch,
        filename=filename,
        location_href=href,
        sourcerpm=pkg.rpm_sourcerpm or None,
        source_name=source_name_of(pkg.name, arch, pkg.rpm_sourcerpm),
        license=pkg.rpm_license,
        summary=pkg.summary,
        buildtime=pkg.time_build,
        size_package=pkg.size_package,
        size_installed=pkg.size_installed,
        primary_xml=primary,
        filelists_xml=filelists,
        other_xml=cr.xml_dump_other(pkg),
        multilib_runtime=ml.runtime,
        multilib_devel=ml.devel,
    )
