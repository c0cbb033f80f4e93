"""/provenance/<project>/<build>.intoto.jsonl (the DSSE envelope, signed by the instance key)
and /provenance/<project>/<build>.spdx.json (the SBOM): outside /repos, where a repository could
be named `provenance`. A private project's files need a token (Bearer, or Basic as for repos)."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from olivine.api.deps import Caller, Svc, project_for
from olivine.auth.policy import Action
from olivine.db.models import Provenance
from olivine.errors import NotFound

router = APIRouter(prefix="/provenance", tags=["provenance"])

_FILE = re.compile(r"^(\d{1,18})\.(intoto\.jsonl|spdx\.json)$")
_TYPES = {"intoto.jsonl": "application/jsonl", "spdx.json": "application/spdx+json"}


@router.get("/{project}/{filename}")
def provenance_file(project: str, filename: str, svc: Svc, who: Caller) -> Response:
    m = _FILE.match(filename)
    if m is None:
        raise NotFound(f"no provenance file {filename}: <build>.intoto.jsonl or <build>.spdx.json")
    p = project_for(svc, who, project, Action.READ)
    build_id, kind = int(m.group(1)), m.group(2)
    with svc.db.session() as s:
        q = select(Provenance).where(Provenance.build_id == build_id, Provenance.project_id == p.id)
        row = s.scalar(q)
        if row is None:
            raise NotFound(f"build {build_id} of project {project} has no provenance")
        sha = row.envelope_sha256 if kind == "intoto.jsonl" else row.sbom_sha256
    return Response(svc.store.get_bytes(sha), media_type=_TYPES[kind])
