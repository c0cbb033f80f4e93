"""The web application: API (/api/v1), repositories, objects, forge and UI, wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from olivine import __version__
from olivine.api import docs, errors
from olivine.api.objects import router as objects_router
from olivine.api.routes import routers
from olivine.config import Settings
from olivine.services import Services


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    svc = services or Services.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if services is None:
            svc.close()

    app = FastAPI(
        title="Olivine",
        version=__version__,
        lifespan=lifespan,
        description="Build system for RPM distributions. Public read, authenticated actions.",
        docs_url=None,  # served offline by olivine.api.docs
        redoc_url=None,
    )
    app.state.services = svc
    errors.install(app)
    docs.install(app)
    for r in routers():
        app.include_router(r)
    app.include_router(objects_router)
    for extra in _optional_routers():
        app.include_router(extra)
    _install_repos(app, svc)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    return app


def _install_repos(app: FastAPI, svc: Services) -> None:
    """/repos/...: the repository routes and their fast path (olivine.repos)."""
    from olivine.api.routes.repos_api import install

    install(app, svc)


def _optional_routers() -> list[APIRouter]:
    """Routers of capabilities that serve outside /api/v1 (repos, forge, web UI)."""
    from olivine.api.gitserve import router as git_router
    from olivine.web.router import web_router

    return [git_router, web_router()]
