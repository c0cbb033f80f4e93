"""Routers of /api/v1. Capabilities add theirs to ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from olivine.api.routes import (
        auth,
        batches,
        builds,
        imports,
        keys,
        log,
        modules,
        packages,
        projects,
        repos_api,
        tasks,
    )

    return [projects.router, packages.router, tasks.router, auth.router, imports.router,
            repos_api.router, builds.router, batches.router, log.router,
            modules.router, keys.router]  # fmt: skip
