"""Routers of /api/v1. Capabilities add theirs to ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from olivine.api.routes import auth, imports, packages, projects, tasks

    return [projects.router, packages.router, tasks.router, auth.router, imports.router]
