"""Request dependencies: services, the caller (Bearer token or Basic with the token as password),
and permission checks against the policy."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from olivine.auth.policy import ANONYMOUS, Action, Principal, allowed
from olivine.auth.service import AuthService
from olivine.db.models import Project
from olivine.errors import Forbidden, NotFound, Unauthenticated
from olivine.projects.service import ProjectService
from olivine.services import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


def token_from(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if scheme == "basic":
        try:
            _, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic authorization header") from None
        if password:
            return password
    raise Unauthenticated("use 'Authorization: Bearer <token>' or Basic with the token as password")


async def principal(request: Request, svc: Svc) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = token_from(request)
    who = (
        ANONYMOUS
        if token is None
        else await run_in_threadpool(AuthService(svc.db).authenticate, token)
    )
    request.state.principal = who
    return who


Caller = Annotated[Principal, Depends(principal)]


def require_user(who: Principal) -> Principal:
    if who.anonymous:
        raise Unauthenticated("this needs an API token")
    return who


def require_admin(who: Principal) -> Principal:
    require_user(who)
    if not who.is_admin:
        raise Forbidden("only an administrator may do this")
    return who


def check(who: Principal, action: Action, project: Project, hidden: str | None = None) -> None:
    """Raise unless `who` may do `action` in `project`. A private project is missing to a
    caller without a role in it, anonymous or not: NotFound with the words a missing one gets
    (ProjectService.get's), or `hidden` when the thing asked for was not the project itself
    ("task 7 does not exist")."""
    if allowed(who, action, project.id, project.public):
        return
    role = who.role_in(project.id)
    if role is None and not project.public:
        raise NotFound(hidden or f"project {project.name} does not exist")
    if who.anonymous:
        raise Unauthenticated(f"project {project.name} needs an API token to {action.value}")
    raise Forbidden(
        f"{who.name} ({role or 'no role'}) may not {action.value} in project {project.name}"
    )


def project_for(
    svc: Services, who: Principal, name: str, action: Action, hidden: str | None = None
) -> Project:
    """The project, checked (check()); `hidden`: the NotFound message when the caller may not
    see it, for a route that found it through something else (a build, a batch)."""
    project = ProjectService(svc.db).get(name)
    check(who, action, project, hidden)
    return project
