"""repomd.xml, rendered by createrepo_c from the records of a revision's files."""

from __future__ import annotations

from collections.abc import Sequence

import createrepo_c as cr

from olivine.repos.chunkstore import MetaFile


def render_repomd(files: Sequence[MetaFile], timestamp: int) -> str:
    md = cr.Repomd()
    md.revision = str(timestamp)
    for f in files:
        rec = cr.RepomdRecord(f.type, None)
        rec.location_href = f.href
        rec.checksum, rec.checksum_type = f.sha256, "sha256"
        if f.open_sha256 != f.sha256:
            rec.checksum_open, rec.checksum_open_type = f.open_sha256, "sha256"
            rec.size_open = f.open_size
        rec.size = f.size
        rec.timestamp = timestamp
        md.set_record(rec)
    return str(md.xml_dump())
