"""Signing in with an API token, signing out, and the user's tokens. Sign-in through an
identity provider (OIDC) plugs in through olivine.web.identity."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import require_user
from olivine.auth import tokens
from olivine.auth.policy import Principal
from olivine.auth.service import AuthService, hash_secret
from olivine.errors import Forbidden, NotFound, Unauthenticated
from olivine.web import identity
from olivine.web.actions import CSRF, see_other
from olivine.web.render import WebRoute, caller, codec, new_session, render, services, session

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no //host): an open redirect is a phishing aid."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login")
async def login_form(
    request: Request, who: Principal = Depends(caller), next: str | None = Query(None)
) -> HTMLResponse:
    ctx = {"next": safe_next(next), "error": None, "providers": identity.providers()}
    return render(request, "login.html", ctx)


@router.post("/login", dependencies=CSRF)
async def login(
    request: Request,
    token: str = Form("", max_length=512),
    next: str = Form("/", max_length=2000),
) -> Response:
    auth = AuthService(services(request).db)
    try:
        who = await run_in_threadpool(auth.authenticate, token.strip())
    except Unauthenticated as exc:
        request.state.web_principal = None
        await caller(request)
        ctx = {"next": safe_next(next), "error": exc.message, "providers": identity.providers()}
        return render(request, "login.html", ctx, status=401)
    new_session(request, hash_secret(token.strip()))
    request.state.web_principal = who
    return see_other(request, safe_next(next))


@router.post("/logout", dependencies=CSRF)
async def logout(request: Request) -> Response:
    new_session(request, None)
    return see_other(request, "/")


@router.get("/tokens")
async def tokens_page(request: Request, who: Principal = Depends(caller)) -> HTMLResponse:
    require_user(who)
    return await _tokens(request, who, None)


async def _tokens(
    request: Request, who: Principal, created: str | None, made_for: str | None = None
) -> HTMLResponse:
    auth = AuthService(services(request).db)
    rows = await run_in_threadpool(tokens.list_tokens, auth, who, None)
    return render(
        request, "tokens.html", {"tokens": rows, "created": created, "made_for": made_for}
    )


@router.post("/tokens", dependencies=CSRF)
async def create_token(
    request: Request,
    who: Principal = Depends(caller),
    name: str = Form("", max_length=128),
    user: str = Form("", max_length=64),
) -> HTMLResponse:
    """A new token for the signed-in user (an admin may name another user), shown once on the
    page that answers the post."""
    auth = AuthService(services(request).db)
    made = await run_in_threadpool(
        tokens.create_token, auth, who, name.strip(), user.strip() or None
    )
    resp = await _tokens(request, who, made.secret, made.user)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/tokens/{token_id}/revoke", dependencies=CSRF)
async def revoke_token(
    token_id: int, request: Request, who: Principal = Depends(caller)
) -> Response:
    auth = AuthService(services(request).db)
    await run_in_threadpool(tokens.revoke_token, auth, who, token_id)
    return see_other(request, "/tokens")


@router.get("/login/with/{name}")
async def login_with(name: str, request: Request) -> Response:
    p = identity.provider(name)
    if p is None:
        raise NotFound(f"no identity provider {name!r} is configured")
    url = await p.start(request, codec(request).csrf_token(session(request)))
    return see_other(request, url)


@router.get("/login/with/{name}/callback")
async def login_callback(name: str, request: Request, state: str = Query("")) -> Response:
    p = identity.provider(name)
    if p is None:
        raise NotFound(f"no identity provider {name!r} is configured")
    if not codec(request).csrf_valid(session(request), state):
        raise Forbidden("the sign-in answer does not belong to this browser session")
    user = await p.finish(request, state)
    auth = AuthService(services(request).db)
    try:
        await run_in_threadpool(auth.user_by_name, user)
    except NotFound:
        raise Unauthenticated(f"{p.label} signed in {user}, who is not an Olivine user") from None
    made = await run_in_threadpool(auth.create_token, user, f"web sign-in via {name}")
    new_session(request, hash_secret(made.secret))
    return see_other(request, "/")
