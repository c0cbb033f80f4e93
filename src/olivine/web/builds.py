"""Build pages: a project's builds (filter by package and state) and one build: its state,
submitter, times, each arch with its log and build root, the import it came from, the
repository revisions it entered, its RPMs to download and its provenance."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import project_for
from olivine.auth.policy import Action, Principal
from olivine.auth.queries import user_names
from olivine.builds.files import BuildFile, build_files
from olivine.builds.jobs import BuildStatus
from olivine.builds.queries import BuildDetail, build_detail, has_provenance, list_builds
from olivine.builds.records import STATUSES
from olivine.db.models import Project
from olivine.errors import NotFound, ValidationFailed
from olivine.services import Services
from olivine.signing.buildview import build_provenance
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50
DONE = {BuildStatus.COMPLETE, BuildStatus.FAILED, BuildStatus.CANCELED}


@dataclass(frozen=True)
class ProvenanceLinks:
    attestation: str  # /provenance/<project>/<build>.intoto.jsonl
    sbom: str  # /provenance/<project>/<build>.spdx.json


def provenance_links(svc: Services, project: Project, build_id: int) -> ProvenanceLinks | None:
    """The build's provenance files (served by the provenance component at /provenance/...),
    once it has them. HOOK: until that component (its `provenance` table) is merged no build
    has provenance, and the page says so."""
    if not has_provenance(svc.db, project.id, build_id):
        return None
    base = f"/provenance/{project.name}/{build_id}"
    return ProvenanceLinks(f"{base}.intoto.jsonl", f"{base}.spdx.json")


def local_link(svc: Services, url: str) -> str:
    """A signed object link of the local store made relative, so it works on whatever host and
    port the browser reached this server by (an S3 link stays absolute)."""
    base = svc.settings.base_url
    return url.removeprefix(base) if url.startswith(base + "/objects/") else url


def _files(svc: Services, detail: BuildDetail) -> list[BuildFile]:
    """The API's own list and signed links (the page already checked who may read it)."""
    if detail.line.status not in DONE:
        return []
    files = build_files(svc.db, svc.store, detail.line.id)
    return [BuildFile(f.name, f.sha256, local_link(svc, f.url)) for f in files]


@router.get("/projects/{name}/builds")
async def build_list(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    package: str | None = Query(None, max_length=255),
    state: str | None = Query(None, max_length=16),
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    svc = services(request)
    if state and state not in STATUSES:
        raise ValidationFailed(f"state must be one of {', '.join(STATUSES)}")
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    total, rows = await run_in_threadpool(
        list_builds, svc.db, p.id, package or None, state or None, offset, PAGE
    )
    users = await run_in_threadpool(user_names, svc.db, [r.line.submitter_id for r in rows])
    live = any(r.line.status not in DONE for r in rows)
    ctx = {
        "p": p,
        "rows": rows,
        "users": users,
        "total": total,
        "offset": offset,
        "page": PAGE,
        "package": package or "",
        "state": state or "",
        "states": STATUSES,
        "live": live,
    }
    return render(request, "builds.html", ctx)


@router.get("/projects/{name}/builds/{build_id}")
async def build_page(
    name: str,
    request: Request,
    who: Principal = Depends(caller),
    build_id: int = Path(ge=1, le=2**31 - 1),
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    d = await run_in_threadpool(build_detail, svc.db, p.id, build_id)
    if d is None:
        raise NotFound(f"project {name} has no build {build_id}")
    users = await run_in_threadpool(user_names, svc.db, [d.line.submitter_id])
    files = await run_in_threadpool(_files, svc, d)
    links = await run_in_threadpool(provenance_links, svc, p, build_id)
    ctx = {
        "p": p,
        "d": d,
        "b": d.line,
        "submitter": users.get(d.line.submitter_id or 0),
        "files": files,
        "provenance": links,
        "checked": await run_in_threadpool(build_provenance, svc.db, svc.store, build_id)
        if links
        else None,
        "live": d.line.status not in DONE,
    }
    return render(request, "build.html", ctx)
