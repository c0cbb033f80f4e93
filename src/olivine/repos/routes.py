"""HTTP routes of the repositories (DESIGN.md "URLs"), as an APIRouter the app includes.

    /repos/<project>/<repo>/<arch>/repodata/repomd.xml   ETag / Last-Modified / 304
    /repos/<project>/<repo>/<arch>/repodata/<sha256>-*  immutable: cached forever or redirected
    /repos/<project>/<repo>/<arch>/Packages/<l>/<file>  302 to the object store
    /repos/<project>/<repo>.repo                        a .repo file for dnf

The app plugs in what the routes need with `set_repo_context(provider)` (or by overriding the
`repo_context` dependency); authorization of private projects is the app's `authorize` callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse

from olivine.db.base import Database
from olivine.errors import NotFound
from olivine.repos.repofile import repo_file_text
from olivine.repos.serving import ProjectRef, RepoReader
from olivine.storage.interfaces import ObjectStore, check_key

IMMUTABLE = "public, max-age=31536000, immutable"
Authorize = Callable[[Request, ProjectRef], None]


def _allow_public_only(_request: Request, project: ProjectRef) -> None:
    if not project.public:  # without the app's auth, private projects stay invisible
        raise NotFound(f"project {project.name!r} does not exist")


@dataclass
class RepoContext:
    db: Database
    store: ObjectStore
    base_url: str
    authorize: Authorize = _allow_public_only
    head_ttl: float = 1.0
    reader: RepoReader = field(init=False)

    def __post_init__(self) -> None:
        self.reader = RepoReader(self.db, self.head_ttl)


_provider: Callable[[], RepoContext] | None = None


def set_repo_context(provider: Callable[[], RepoContext]) -> None:
    """Called once by the app: how the routes get their database, store and authorization."""
    global _provider
    _provider = provider


def repo_context() -> RepoContext:
    if _provider is None:
        raise RuntimeError("olivine.repos.routes: set_repo_context() was not called")
    return _provider()


router = APIRouter(tags=["repositories"])


def _project(ctx: RepoContext, request: Request, name: str) -> ProjectRef:
    ref = ctx.reader.project(name)
    ctx.authorize(request, ref)
    return ref


def _private(ref: ProjectRef, headers: dict[str, str]) -> dict[str, str]:
    if not ref.public:
        headers["Cache-Control"] = "private, " + headers.get("Cache-Control", "no-cache")
    return headers


@router.get("/repos/{project}/{repo}/{arch}/repodata/repomd.xml")
def repomd(
    project: str, repo: str, arch: str, request: Request, ctx: RepoContext = Depends(repo_context)
) -> Response:
    ref = _project(ctx, request, project)
    md = ctx.reader.repomd(ref, repo, arch)
    headers = _private(
        ref, {"ETag": md.etag, "Last-Modified": md.last_modified, "Cache-Control": "no-cache"}
    )
    inm = request.headers.get("if-none-match")
    if inm is not None and md.etag in inm:
        return Response(status_code=304, headers=headers)
    if inm is None and request.headers.get("if-modified-since") == md.last_modified:
        return Response(status_code=304, headers=headers)
    return Response(md.body, media_type="application/xml", headers=headers)


@router.get("/repos/{project}/{repo}/{arch}/repodata/{name}")
def repodata_file(
    project: str,
    repo: str,
    arch: str,
    name: str,
    request: Request,
    ctx: RepoContext = Depends(repo_context),
) -> Response:
    ref = _project(ctx, request, project)
    sha = name.split("-", 1)[0]
    try:
        check_key(sha)
    except Exception:
        raise NotFound(f"no metadata file {name} in {project}/{repo}/{arch}") from None
    if not ctx.reader.metadata_file(ref, repo, sha):
        raise NotFound(f"no metadata file {name} in {project}/{repo}/{arch}")
    path = getattr(ctx.store, "path", None)
    headers = _private(ref, {"Cache-Control": IMMUTABLE})
    if path is not None:  # local store: serve the immutable file directly
        return FileResponse(path(sha), headers=headers, media_type=_media(name))
    return RedirectResponse(ctx.store.url_for(sha, name), status_code=302, headers=headers)


def _media(name: str) -> str:
    if name.endswith(".gz"):
        return "application/gzip"
    if name.endswith(".zst"):
        return "application/zstd"
    return "application/xml" if name.endswith(".xml") else "application/octet-stream"


@router.get("/repos/{project}/{repo}/{arch}/Packages/{path:path}")
def package(
    project: str,
    repo: str,
    arch: str,
    path: str,
    request: Request,
    ctx: RepoContext = Depends(repo_context),
) -> Response:
    ref = _project(ctx, request, project)
    filename = path.rsplit("/", 1)[-1]
    sha = ctx.reader.package_sha256(ref, filename) if filename.endswith(".rpm") else None
    if sha is None:
        raise NotFound(f"no package {filename} in {project}/{repo}/{arch}")
    return RedirectResponse(ctx.store.url_for(sha, filename), status_code=302)


@router.get("/repos/{project}/{repo}.repo", response_class=PlainTextResponse)
def repo_file(
    project: str, repo: str, request: Request, ctx: RepoContext = Depends(repo_context)
) -> Response:
    ref = _project(ctx, request, project)
    text = repo_file_text(ctx.base_url, project, repo, public=ref.public)
    return PlainTextResponse(text)
