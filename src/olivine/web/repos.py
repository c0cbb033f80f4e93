"""Repository pages: a project's repositories with their filters, one repository's revisions
per arch and what each changed, and the .repo file to copy."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import project_for
from olivine.auth.policy import Action, Principal
from olivine.errors import NotFound
from olivine.repos.repofile import repo_file_text
from olivine.repos.revisions import RevisionInfo, list_repos, list_revisions
from olivine.web import queries
from olivine.web.render import WebRoute, caller, render, services

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _base_url(request: Request) -> str:
    return services(request).settings.public_url or str(request.base_url)


@router.get("/projects/{name}/repos")
async def repo_list(name: str, request: Request, who: Principal = Depends(caller)) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    repos = await run_in_threadpool(list_repos, svc.db, name)
    specs = {}
    for r in repos:
        row = await run_in_threadpool(queries.repository, svc.db, p.id, r.name)
        specs[r.name] = row.spec if row else {}
    return render(request, "repos.html", {"p": p, "repos": repos, "specs": specs})


@router.get("/projects/{name}/repos/{repo}")
async def repo_page(
    name: str,
    repo: str,
    request: Request,
    who: Principal = Depends(caller),
    arch: str | None = Query(None, max_length=64),
    rev: int | None = Query(None, ge=1),
) -> HTMLResponse:
    svc = services(request)
    p = await run_in_threadpool(project_for, svc, who, name, Action.READ)
    row = await run_in_threadpool(queries.repository, svc.db, p.id, repo)
    if row is None:
        raise NotFound(f"project {name} has no repository {repo!r}")
    revs = await run_in_threadpool(list_revisions, svc.db, name, repo)
    by_arch: dict[str, list[RevisionInfo]] = defaultdict(list)
    for r in revs:
        by_arch[r.arch].append(r)
    changes = None
    if arch and rev:
        changes = await run_in_threadpool(queries.revision_changes, svc.db, row.id, arch, rev)
        if changes is None:
            raise NotFound(f"{name}/{repo} has no revision {rev} of arch {arch}")
    return render(
        request,
        "repo.html",
        {
            "p": p,
            "repo": row,
            "by_arch": dict(sorted(by_arch.items())),
            "changes": changes,
            "repo_file": repo_file_text(_base_url(request), name, repo, p.public),
        },
    )
