"""The comps files a project file names (`repositories[].groups`). The server never opens a path
named in a project file: the client sends each file's content with the project file, keyed by the
path as written there, and this matches, checks and stashes them.

    comps_for(pf, sent) -> {repo: xml}       checked: every named file sent, each well-formed
    stash(store, comps) -> {repo: sha256}     into the object store (workflow inputs stay small)
    unstash(store, refs) -> {repo: xml}
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from olivine.errors import ValidationFailed
from olivine.projects.schema import ProjectFile
from olivine.storage.interfaces import ObjectStore

MAX_COMPS_BYTES = 8 * 1024 * 1024  # Fedora's comps with every translation is about 4 MiB


def check_comps(text: str, where: str) -> None:
    """Well-formed XML whose root is <comps>, under the size cap. Comps files declare no entities:
    refusing any keeps entity expansion out of the API process whatever the parser's limits."""
    if len(text.encode()) > MAX_COMPS_BYTES:
        raise ValidationFailed(
            f"{where}: comps file is larger than {MAX_COMPS_BYTES // (1024 * 1024)} MiB"
        )
    if "<!ENTITY" in text:
        raise ValidationFailed(f"{where}: comps file declares XML entities, which comps never use")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, col = e.position
        raise ValidationFailed(f"{where}:{line}:{col + 1}: not well-formed XML ({e})") from None
    if root.tag != "comps":
        raise ValidationFailed(f"{where}: the root element is <{root.tag}>, not <comps>")


def comps_for(pf: ProjectFile, sent: Mapping[str, str]) -> dict[str, str]:
    """Each repository's comps XML, from the files sent keyed by the path the project file names."""
    named = {r.groups for r in pf.repositories if r.groups}
    missing = sorted(named - set(sent))
    if missing:
        raise ValidationFailed(
            f"groups file {', '.join(missing)} named in the project file was not sent: "
            "`olivine project apply` sends it; API callers put its content in `groups` "
            "(path as written in the project file -> XML)"
        )
    extra = sorted(set(sent) - named)
    if extra:
        raise ValidationFailed(
            f"groups content was sent for {', '.join(extra)}, which no repository names"
        )
    for path in sorted(named):
        check_comps(sent[path], path)
    return {r.name: sent[r.groups] for r in pf.repositories if r.groups}


def stash(store: ObjectStore, comps: Mapping[str, str]) -> dict[str, str]:
    return {repo: store.put_bytes(xml.encode()).sha256 for repo, xml in comps.items()}


def unstash(store: ObjectStore, refs: Mapping[str, str]) -> dict[str, str]:
    return {repo: store.get_bytes(sha).decode() for repo, sha in refs.items()}
