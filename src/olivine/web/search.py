"""The header's search box: projects, packages, builds (by NVR or ID) and tasks (by ID) that the
caller may see (private projects only with a role in them, as everywhere)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.access import visible_task
from olivine.auth.policy import Action, Principal, allowed
from olivine.builds.queries import BuildHit, find_builds
from olivine.errors import OlivineError
from olivine.projects.queries import PackageHit, find_packages, find_projects
from olivine.projects.service import ProjectService
from olivine.services import Services
from olivine.tasks.queries import TaskRow
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MAX_ID = 2**31 - 1  # row IDs are 32-bit: a longer number names no task


@dataclass
class Results:
    projects: list[str] = field(default_factory=list)
    packages: list[PackageHit] = field(default_factory=list)
    builds: list[BuildHit] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)

    def count(self) -> int:
        return len(self.projects) + len(self.packages) + len(self.builds) + len(self.tasks)


def visible_projects(svc: Services, who: Principal) -> list[int]:
    return [p.id for p in ProjectService(svc.db).all() if allowed(who, Action.READ, p.id, p.public)]


def _task(svc: Services, who: Principal, text: str) -> list[TaskRow]:
    digits = text.removeprefix("#")
    if not digits.isdigit() or int(digits) > MAX_ID:
        return []
    try:
        return [visible_task(svc, who, int(digits))]
    except OlivineError:  # no such task, or one this caller may not see: nothing found
        return []


def search(svc: Services, who: Principal, text: str) -> Results:
    ids = visible_projects(svc, who)
    return Results(
        find_projects(svc.db, ids, text),
        find_packages(svc.db, ids, text),
        find_builds(svc.db, ids, text),
        _task(svc, who, text),
    )


@router.get("/search")
async def search_page(
    request: Request,
    who: Principal = Depends(caller),
    q: str = Query("", max_length=255),
) -> HTMLResponse:
    """Results of the header's search box."""
    text = q.strip()
    found = await run_in_threadpool(search, services(request), who, text) if text else Results()
    return render(request, "search.html", {"q": text, "search_q": text, "r": found})
