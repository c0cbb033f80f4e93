"""Users, tokens and roles."""

from __future__ import annotations

from fastapi import APIRouter, Response

from olivine.api.deps import Caller, Svc, project_for, require_admin, require_user
from olivine.api.params import IdPath
from olivine.api.schemas import (
    MeOut,
    RoleIn,
    RoleOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from olivine.auth import tokens
from olivine.auth.policy import Action
from olivine.auth.service import AuthService
from olivine.db.models import Project

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get("/me", response_model=MeOut)
def me(svc: Svc, who: Caller) -> MeOut:
    roles: dict[str, str] = {}
    if who.roles:
        with svc.db.session() as s:
            names = dict(s.query(Project.id, Project.name).all())
        roles = {names[p]: r for p, r in who.roles if p in names}
    return MeOut(name=who.name, admin=who.is_admin, anonymous=who.anonymous, roles=roles)


@router.get("/users", response_model=list[UserOut])
def list_users(svc: Svc, who: Caller) -> list[UserOut]:
    require_admin(who)
    return [
        UserOut(name=u.name, admin=u.is_admin, created_at=u.created_at)
        for u in AuthService(svc.db).list_users()
    ]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, svc: Svc, who: Caller) -> UserOut:
    require_admin(who)
    u = AuthService(svc.db).create_user(body.name, body.admin)
    return UserOut(name=u.name, admin=u.is_admin, created_at=u.created_at)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, svc: Svc, who: Caller) -> TokenCreated:
    tok = tokens.create_token(AuthService(svc.db), who, body.name, body.user)
    return TokenCreated(id=tok.id, user=tok.user, token=tok.secret)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(svc: Svc, who: Caller, user: str | None = None) -> list[TokenOut]:
    return [TokenOut(**t.__dict__) for t in tokens.list_tokens(AuthService(svc.db), who, user)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: IdPath, svc: Svc, who: Caller) -> Response:
    tokens.revoke_token(AuthService(svc.db), who, token_id)
    return Response(status_code=204)


@router.get("/projects/{project}/roles", response_model=list[RoleOut])
def list_roles(project: str, svc: Svc, who: Caller) -> list[RoleOut]:
    require_user(who)
    project_for(svc, who, project, Action.MANAGE)
    return [RoleOut(user=u, role=r) for u, r in AuthService(svc.db).roles_of(project)]


@router.put("/projects/{project}/roles/{user}", response_model=RoleOut)
def grant_role(project: str, user: str, body: RoleIn, svc: Svc, who: Caller) -> RoleOut:
    require_user(who)
    project_for(svc, who, project, Action.MANAGE)
    AuthService(svc.db).grant(project, user, body.role, who.user_id)
    return RoleOut(user=user, role=body.role)


@router.delete("/projects/{project}/roles/{user}", status_code=204)
def revoke_role(project: str, user: str, svc: Svc, who: Caller) -> Response:
    require_user(who)
    project_for(svc, who, project, Action.MANAGE)
    AuthService(svc.db).revoke(project, user)
    return Response(status_code=204)
