"""Errors as problem+json (RFC 9457): a title, a status and a detail a user can act on."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from olivine.errors import OlivineError, Unauthenticated

log = logging.getLogger("olivine.api")
PROBLEM = "application/problem+json"


def problem(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(OlivineError)
    async def _domain(request: Request, exc: OlivineError) -> JSONResponse:
        headers = None
        if isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": 'Bearer, Basic realm="olivine"'}
        return problem(exc.status, exc.title, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return problem(422, "Invalid request", "; ".join(parts))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 and _browser_page(request):
            from olivine.web.render import not_found_page

            return await not_found_page(request)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such resource: {request.url.path}"
        return problem(exc.status_code, _title(exc.status_code), detail, exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", f"unexpected {type(exc).__name__}; see server log")


# Machine endpoints answer problem+json whatever the client; everything else is a UI page.
_MACHINE_PREFIXES = ("/api/", "/repos/", "/git/", "/objects/", "/provenance/", "/openapi.json")


def _browser_page(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith(_MACHINE_PREFIXES)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
