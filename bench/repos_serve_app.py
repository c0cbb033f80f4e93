"""The repository routes in a minimal app, for `uvicorn --workers N repos_serve_app:app`
(benchmark 3). Configured by OLIVINE_BENCH_DB, OLIVINE_BENCH_OBJECTS, OLIVINE_BENCH_URL."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from olivine.api import errors
from olivine.db.base import Database
from olivine.repos import routes
from olivine.storage.fs import FsStore


def build() -> FastAPI:
    base = os.environ.get("OLIVINE_BENCH_URL", "http://127.0.0.1:8080")
    db = Database(os.environ["OLIVINE_BENCH_DB"])
    store = FsStore(Path(os.environ["OLIVINE_BENCH_OBJECTS"]), base, b"k" * 32)
    ctx = routes.RepoContext(
        db, store, base, head_ttl=float(os.environ.get("OLIVINE_BENCH_TTL", "1"))
    )
    app = FastAPI()
    errors.install(app)
    app.include_router(routes.router)
    app.state.repo_context = ctx
    app.add_middleware(routes.RepoServingMiddleware, context=lambda: ctx)
    return app


if os.environ.get("OLIVINE_BENCH_DB"):
    app = build()
