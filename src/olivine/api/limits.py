"""How much of a request body the app reads (docs/api.md "Limits").

Every body is counted as it streams in, whatever Content-Length says (Starlette's
RequestBodyLimitResponder does the counting; a declared length over the cap is refused before
a byte is read). JSON, YAML and form bodies get the small cap; the upload routes get theirs,
and Starlette's multipart parser spools their files to disk past 1 MiB, so no body is ever
held whole in memory. A body over its cap ends as 413 problem+json (api/errors.py).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from olivine.api.errors import problem

# the routes that take a file upload (multipart): SRPM imports and `rpm import`
UPLOADS = (
    re.compile(r"/api/v1/projects/[^/]+/imports/srpm"),
    re.compile(r"/api/v1/projects/[^/]+/rpms"),
    re.compile(r"/projects/[^/]+/packages/[^/]+/import-srpm"),  # the web form
)


def is_upload(path: str) -> bool:
    return any(p.fullmatch(path) for p in UPLOADS)


class BodyLimit:
    """`app.add_middleware(BodyLimit, body_max=..., upload_max=...)`; put it inside AuthGate,
    so an anonymous upload is refused before it is counted, let alone stored."""

    def __init__(self, app: ASGIApp, body_max: int, upload_max: int) -> None:
        self.app = app
        self.body_max = body_max
        self.upload_max = upload_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max if is_upload(scope["path"]) else self.body_max
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:  # refused unread, in our own words
            await too_large(scope["path"], limit)(scope, receive, send)
            return
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


def too_large(path: str, limit: int) -> JSONResponse:
    detail = f"the request body is larger than {limit} bytes, the most {path} takes"
    return problem(413, "Content too large", detail)
