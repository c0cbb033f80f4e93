"""Errors as problem+json (RFC 9457): a title, a status and a detail a user can act on.

Besides the domain errors, the handlers here turn what a hostile or careless request can provoke
into a 4xx that names it: a body over its cap (413), a body that is not UTF-8 or nests too deeply
to parse (422), a number or string the database cannot hold (422: an id above 2^63, a NUL
character). Anything else is a 500 that names no internal detail; the log has it, under the
incident id the answer gives.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from olivine.errors import OlivineError, Unauthenticated

log = logging.getLogger("olivine.api")
PROBLEM = "application/problem+json"
MAX_LISTED = 10  # validation problems named in one answer (a 4 MiB list has a million)
OUT_OF_RANGE = (
    "a value in the request cannot be stored: a number out of range (ids are at most "
    "2^63-1) or a string with a NUL character"
)


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
    app.add_exception_handler(OlivineError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(StatementError, _statement)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _domain(request: Request, exc: OlivineError) -> JSONResponse:
    headers = None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": 'Bearer, Basic realm="olivine"'}
    return problem(exc.status, exc.title, exc.message, headers)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    parts = []
    for err in errors[:MAX_LISTED]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    if len(errors) > MAX_LISTED:
        parts.append(f"and {len(errors) - MAX_LISTED} more")
    return problem(422, "Invalid request", "; ".join(parts))


async def _http(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404 and _browser_page(request):
        from olivine.web.render import not_found_page

        return await not_found_page(request)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    elif exc.status_code == 413:  # counted by Starlette's RequestBodyLimitResponder (limits.py)
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        detail = f"the request body is larger than {limit} bytes, the most {request.url.path} takes"
        return problem(413, "Content too large", detail)
    elif exc.status_code == 400 and (why := _unparsable(exc.__cause__)):
        return problem(422, "Invalid request", why)
    return problem(exc.status_code, _title(exc.status_code), detail, exc.headers)


def _unparsable(cause: BaseException | None) -> str | None:
    """What FastAPI's "error parsing the body" was, when it is the sender's doing."""
    if isinstance(cause, UnicodeDecodeError):
        return f"the request body is not valid UTF-8 (byte {cause.start})"
    if isinstance(cause, RecursionError):
        return "the request body nests too deeply to parse"
    return None


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    return problem(422, "Invalid request", OUT_OF_RANGE)


async def _statement(request: Request, exc: StatementError) -> JSONResponse:
    """SQLAlchemy wraps what fails while binding a parameter (sqlite: an int over 2^63)."""
    if isinstance(exc.orig, OverflowError | ValueError | UnicodeError):
        return await _out_of_range(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s on %s %s",
        incident,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return problem(500, "Internal error", f"an unexpected error; the server log has {incident}")


# Machine endpoints answer problem+json whatever the client; everything else is a UI page.
_MACHINE_PREFIXES = ("/api/", "/repos/", "/git/", "/objects/", "/provenance/", "/openapi.json")


def _browser_page(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith(_MACHINE_PREFIXES)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
