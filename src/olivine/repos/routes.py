"""HTTP routes of the repositories (DESIGN.md "URLs"), as an APIRouter the app includes.

Wiring, in the app (olivine.app.create_app):
    ctx = RepoContext(db, store, base_url, authorize=..., head_ttl=1)
    app.state.repo_context = ctx                 # what the routes' dependency reads
    app.include_router(routes.router)            # documented in OpenAPI, works alone
    app.add_middleware(RepoServingMiddleware, context=lambda: ctx)   # the fast path

`authorize(request, project)` is the app's check for private projects (Bearer token, or Basic
auth with the token as password); it raises Unauthenticated/Forbidden. Public projects are read
anonymously. The URL logic itself lives in http.py, shared with the fast path (asgi.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from olivine.errors import NotFound
from olivine.repos.asgi import RepoServingMiddleware, to_response
from olivine.repos.http import RepoContext, respond

__all__ = ["RepoContext", "RepoServingMiddleware", "repo_context", "router"]


def repo_context(request: Request) -> RepoContext:
    """The app's repo context (database, store, authorization), set by its wiring."""
    ctx = getattr(request.app.state, "repo_context", None)
    if not isinstance(ctx, RepoContext):
        raise RuntimeError("olivine.repos.routes: the app set no app.state.repo_context")
    return ctx


router = APIRouter(tags=["repositories"])


def _answer(ctx: RepoContext, request: Request) -> Response:
    reply = respond(ctx, request.url.path, request.headers, lambda: request)
    if reply is None:
        raise NotFound(f"no such resource: {request.url.path}")
    return to_response(reply)


@router.get("/repos/{project}/{repo}/{arch}/repodata/repomd.xml", response_class=Response)
def repomd(project: str, repo: str, arch: str, request: Request,
           ctx: RepoContext = Depends(repo_context)) -> Response:  # fmt: skip
    """The current revision's repomd.xml (ETag, Last-Modified, 304)."""
    return _answer(ctx, request)


@router.get("/repos/{project}/{repo}/{arch}/repodata/{name}", response_class=Response)
def repodata_file(project: str, repo: str, arch: str, name: str, request: Request,
                  ctx: RepoContext = Depends(repo_context)) -> Response:  # fmt: skip
    """An immutable metadata file `<sha256>-<type>.xml.gz` (cache forever)."""
    return _answer(ctx, request)


@router.get("/repos/{project}/{repo}/{arch}/RPM-GPG-KEY", response_class=Response)
def gpg_key(project: str, repo: str, arch: str, request: Request,
            ctx: RepoContext = Depends(repo_context)) -> Response:  # fmt: skip
    """The project's public signing keys, armored (what `gpgkey=` in the .repo file names)."""
    return _answer(ctx, request)


@router.get("/repos/{project}/{repo}/{arch}/Packages/{path:path}", response_class=Response)
def package(project: str, repo: str, arch: str, path: str, request: Request,
            ctx: RepoContext = Depends(repo_context)) -> Response:  # fmt: skip
    """302 to the RPM in the object store (presigned for s3, a signed /objects link for fs)."""
    return _answer(ctx, request)


@router.get("/repos/{project}/{repo}.repo", response_class=Response)
def repo_file(project: str, repo: str, request: Request,
              ctx: RepoContext = Depends(repo_context)) -> Response:  # fmt: skip
    """A .repo file for /etc/yum.repos.d (what `olivine repo file P REPO` prints)."""
    return _answer(ctx, request)
