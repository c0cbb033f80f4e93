"""The web application: API (/api/v1), repositories, objects, forge and UI, wired together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from olivine import __version__
from olivine.api import docs, errors
from olivine.api.objects import router as objects_router
from olivine.api.routes import routers
from olivine.api.temporal import TemporalConnection
from olivine.config import Settings
from olivine.jobs.starter import reconcile_forever
from olivine.services import Services


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    svc = services or Services.from_settings(settings)
    settings.ensure_secret_key()  # start-up, not first read

    temporal = TemporalConnection(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        # the reconciler: start any job committed but never started (an API killed between)
        reconciler = asyncio.create_task(reconcile_forever(svc.db, temporal.client, stop=stop))
        yield
        stop.set()
        reconciler.cancel()  # it may be waiting for Temporal: do not wait for it
        with contextlib.suppress(asyncio.CancelledError):
            await reconciler
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
    app.state.temporal = temporal
    errors.install(app)
    docs.install(app)
    for r in routers():
        app.include_router(r)
    app.include_router(objects_router)
    for extra in _optional_routers():
        app.include_router(extra)
    _install_repos(app, svc)
    _install_limits(app, svc)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    return app


def _install_repos(app: FastAPI, svc: Services) -> None:
    """/repos/...: the repository routes and their fast path (olivine.repos), given their
    context through app.state (no module state)."""
    from olivine.api.routes.repos_api import repo_authorizer
    from olivine.repos import routes

    ctx = routes.RepoContext(
        svc.db, svc.store, svc.settings.base_url, authorize=repo_authorizer(svc)
    )
    app.state.repo_context = ctx
    app.include_router(routes.router)
    app.add_middleware(routes.RepoServingMiddleware, context=lambda: ctx)


def _install_limits(app: FastAPI, svc: Services) -> None:
    """What one request may make the server read (issue 9): the last added runs first, so a
    write is authenticated from its headers before any of its body is counted or read."""
    from olivine.api.authgate import AuthGate
    from olivine.api.limits import BodyLimit
    from olivine.web.render import error_page

    s = svc.settings
    app.add_middleware(BodyLimit, body_max=s.api_body_max_bytes, upload_max=s.api_upload_max_bytes)
    app.add_middleware(AuthGate, services=svc, page=error_page)


def _optional_routers() -> list[APIRouter]:
    """Routers of capabilities that serve outside /api/v1 (repos, forge, web UI)."""
    from olivine.api.gitserve import router as git_router
    from olivine.api.provenance import router as provenance_router
    from olivine.web.router import web_router

    return [git_router, provenance_router, web_router()]
