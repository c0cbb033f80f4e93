"""A project's catalog of packages."""

from __future__ import annotations

from fastapi import APIRouter, Query

from olivine.api.deps import Caller, Svc, project_for
from olivine.api.schemas import PackageOut, Page
from olivine.auth.policy import Action
from olivine.errors import NotFound
from olivine.projects.service import ProjectService

router = APIRouter(prefix="/api/v1/projects/{project}/packages", tags=["packages"])


@router.get("", response_model=Page[PackageOut])
def list_packages(
    project: str,
    svc: Svc,
    who: Caller,
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    name: str | None = Query(None, max_length=255, description="glob, e.g. 'bash*'"),
) -> Page[PackageOut]:
    project_for(svc, who, project, Action.READ)
    total, rows = ProjectService(svc.db).packages(project, offset, limit, name)
    items = [PackageOut(**r.__dict__) for r in rows]
    return Page[PackageOut](items=items, total=total, offset=offset, limit=limit)


@router.get("/{package}", response_model=PackageOut)
def show_package(project: str, package: str, svc: Svc, who: Caller) -> PackageOut:
    project_for(svc, who, project, Action.READ)
    _, rows = ProjectService(svc.db).packages(project, 0, 1, package)
    if not rows or rows[0].name != package:
        raise NotFound(f"package {package} is not in project {project}")
    return PackageOut(**rows[0].__dict__)
