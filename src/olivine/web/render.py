"""Rendering pages: the Jinja environment, the caller of a browser request (from the session
cookie), CSRF checks, and HTML error pages for domain errors raised by page handlers."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from olivine import __version__
from olivine.auth.policy import ANONYMOUS, Action, Principal, allowed
from olivine.auth.service import AuthService
from olivine.db.models import Project
from olivine.errors import Forbidden, NotFound, OlivineError, Unauthenticated
from olivine.services import Services
from olivine.web.session import COOKIE, MAX_AGE, SessionCodec, WebSession

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


# Pages load nothing from elsewhere, run no inline script and are never framed (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # pages change as tasks run and differ per visitor: revalidate, never share between users
    "Cache-Control": "private, no-cache",
    "Vary": "Cookie",
}


def _when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return (
        (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    )


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    secs = int((end - start).total_seconds())
    return f"{secs // 60}m{secs % 60:02d}s" if secs >= 60 else f"{secs}s"


ENV.filters["when"] = _when
ENV.globals["duration"] = _duration
ENV.globals["version"] = __version__
ENV.globals["short"] = lambda s, n=12: (s or "")[:n]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def codec(request: Request) -> SessionCodec:
    cached: SessionCodec | None = getattr(request.app.state, "web_codec", None)
    if cached is None:
        cached = SessionCodec(services(request).settings.secret_key())
        request.app.state.web_codec = cached
    return cached


def session(request: Request) -> WebSession:
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is None:
        cached = codec(request).loads(request.cookies.get(COOKIE)) or WebSession.fresh()
        request.state.web_session = cached
    return cached


def new_session(request: Request, token_hash: str | None) -> WebSession:
    """Login and logout start a new session id (no session fixation)."""
    request.state.web_session = WebSession.fresh(token_hash)
    request.state.web_principal = None
    return request.state.web_session


async def caller(request: Request) -> Principal:
    """Who is browsing: the user of the session's token, or anonymous (a revoked token or a
    disabled user ends the session)."""
    cached: Principal | None = getattr(request.state, "web_principal", None)
    if cached is not None:
        return cached
    sess = session(request)
    who = ANONYMOUS
    if sess.token_hash:
        try:
            auth = AuthService(services(request).db)
            who = await run_in_threadpool(auth.authenticate_hash, sess.token_hash)
        except Unauthenticated:
            new_session(request, None)
    request.state.web_principal = who
    return who


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field `csrf` or
    header X-CSRF-Token) and, when the browser sends one, a same-origin Origin header."""
    origin = request.headers.get("origin")
    if origin and not _same_site_host(request, origin):
        raise Forbidden(f"cross-origin form post from {origin} refused")
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    sess = session(request)
    if not codec(request).csrf_valid(sess, token):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and retry")


def _same_site_host(request: Request, origin: str) -> bool:
    """The Origin names this server: the Host the browser used, or the public URL. Only the
    host and port are compared: behind a TLS-terminating proxy the app sees plain http."""
    host = urlsplit(origin).netloc.lower()
    ours = {request.headers.get("host", "").lower(), request.url.netloc.lower()}
    public = services(request).settings.public_url
    if public:
        ours.add(urlsplit(public).netloc.lower())
    return host in ours


def can(who: Principal, action: str, project: Project) -> bool:
    return allowed(who, Action(action), project.id, project.public)


def url_with(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for k, v in changes.items():
        if v in (None, ""):
            params.pop(k, None)
        else:
            params[k] = str(v)
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page; with ?partial=<block> only that block of it (what the page script polls)."""
    tmpl = ENV.get_template(template)
    who: Principal = getattr(request.state, "web_principal", None) or ANONYMOUS
    sess = session(request)
    ctx = {
        "request": request,
        "who": who,
        "csrf": codec(request).csrf_token(sess),
        "can": lambda action, project: can(who, action, project),
        "url_with": lambda **kw: url_with(request, **kw),
        **context,
    }
    partial = request.query_params.get("partial")
    if partial and partial in tmpl.blocks:
        body = "".join(tmpl.blocks[partial](tmpl.new_context(ctx)))
    else:
        body = tmpl.render(ctx)
    resp = HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
    _compress(request, resp)
    finish(request, resp)
    return resp


def _compress(request: Request, resp: Response) -> None:
    """gzip pages for slow links (HTML shrinks 8-20x); tiny bodies are not worth it."""
    if len(resp.body) < 1024 or "gzip" not in request.headers.get("accept-encoding", ""):
        return
    resp.body = gzip.compress(resp.body, compresslevel=6)
    resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Content-Length"] = str(len(resp.body))
    resp.headers["Vary"] = "Cookie, Accept-Encoding"


def finish(request: Request, resp: Response) -> None:
    """Set the session cookie when the session changed (signed, HttpOnly, SameSite=Lax)."""
    sess: WebSession | None = getattr(request.state, "web_session", None)
    if sess is None or not sess.dirty:
        return
    resp.set_cookie(
        COOKIE,
        codec(request).dumps(sess),
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https"
        or (services(request).settings.public_url or "").startswith("https:"),
        path="/",
    )
    resp.headers["Cache-Control"] = "no-store"


def error_page(request: Request, exc: OlivineError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {
            "title": exc.title,
            "status": exc.status,
            "message": exc.message,
            "login": isinstance(exc, Unauthenticated),
        },
        status=exc.status,
    )


async def not_found_page(request: Request) -> HTMLResponse:
    """The HTML 404 a browser gets for a page that does not exist."""
    await caller(request)
    return error_page(request, NotFound(f"there is no page at {request.url.path}"))


class WebRoute(APIRoute):
    """Domain errors raised by a page become an HTML page with the same status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except OlivineError as exc:
                await caller(request)
                return error_page(request, exc)

        return route
