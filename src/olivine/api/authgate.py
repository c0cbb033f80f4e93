"""Authentication before the body: a write (POST, PUT, PATCH, DELETE) under /api/v1 or a web
action without valid credentials is answered 401 from its headers alone, so an anonymous caller
can make the server read, parse or store nothing (and whatever its body, 401 comes before 422).

/api/v1 takes the Authorization header (api/deps.py's rules), the web actions the session
cookie, each the credential its handlers honour. The token is resolved (one indexed lookup of
its sha256) in a worker thread, and the principal is left in the request state, where
api/deps.principal and web/render.caller find it instead of looking it up again.
"""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from olivine.api.deps import token_from
from olivine.api.errors import problem
from olivine.auth.policy import Principal
from olivine.auth.service import AuthService
from olivine.errors import OlivineError, Unauthenticated
from olivine.services import Services
from olivine.web.session import COOKIE, SessionCodec

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# writes anyone may send: signing in and out, and git fetches (upload-pack is a POST; the forge
# checks read access to the project itself)
OPEN_WRITES = {"/login", "/logout"}
OPEN_PREFIXES = ("/git/",)
CHALLENGE = {"WWW-Authenticate": 'Bearer, Basic realm="olivine"'}
Page = Callable[[Request, OlivineError], Response]


def gated(method: str, path: str) -> bool:
    return method in WRITES and path not in OPEN_WRITES and not path.startswith(OPEN_PREFIXES)


class AuthGate:
    """`app.add_middleware(AuthGate, services=svc, page=error_page)`: `page` renders the refusal
    of a web action (an HTML page); /api/v1 gets problem+json."""

    def __init__(self, app: ASGIApp, services: Services, page: Page) -> None:
        self.app = app
        self.services = services
        self.page = page
        self._codec: SessionCodec | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not gated(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # headers only: it has no receive, so it cannot read the body
        api = scope["path"].startswith("/api/")
        try:
            who = await (self._api_caller(request) if api else self._web_caller(request))
        except Unauthenticated as exc:
            refusal = problem(401, exc.title, exc.message, CHALLENGE) if api else None
            await (refusal or self.page(request, exc))(scope, receive, send)
            return
        scope.setdefault("state", {})["principal" if api else "web_principal"] = who
        await self.app(scope, receive, send)

    async def _api_caller(self, request: Request) -> Principal:
        token = token_from(request)
        if token is None:
            raise Unauthenticated("this needs an API token (Authorization: Bearer <token>)")
        auth = AuthService(self.services.db)
        return await to_thread.run_sync(auth.authenticate, token)

    async def _web_caller(self, request: Request) -> Principal:
        if self._codec is None:
            self._codec = SessionCodec(self.services.settings.secret_key())
        sess = self._codec.loads(request.cookies.get(COOKIE))
        if sess is None or not sess.token_hash:
            raise Unauthenticated("sign in to do this")
        auth = AuthService(self.services.db)
        return await to_thread.run_sync(auth.authenticate_hash, sess.token_hash)
