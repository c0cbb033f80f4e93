"""The web UI's routes, served by the API process at / (see docs/ui.md)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from olivine.errors import NotFound
from olivine.web.render import HERE, WebRoute

STATIC = {"style.css": "text/css", "olivine.js": "text/javascript"}


def web_router() -> APIRouter:
    from olivine.web import account, actions, builds, modules, projects, repos, search, tasks

    router = APIRouter(route_class=WebRoute, include_in_schema=False)

    @router.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC:
            raise NotFound(f"no static file {name}")
        return FileResponse(
            HERE / "static" / name,
            media_type=STATIC[name],
            headers={"Cache-Control": "public, max-age=3600"},
        )

    subs = (projects, builds, repos, tasks, search, actions, account, modules)
    for sub in (m.router for m in subs):
        router.include_router(sub)
    return router
