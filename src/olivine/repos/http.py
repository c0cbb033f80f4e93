"""What each repository URL answers, as plain data (Reply), shared by the FastAPI routes and the
ASGI fast path (asgi.py), so there is one implementation of the URL contract:

    /repos/<project>/<repo>.repo                        a .repo file for dnf
    /repos/<project>/<repo>/<arch>/repodata/repomd.xml   ETag / Last-Modified / 304
    /repos/<project>/<repo>/<arch>/repodata/repomd.xml.asc  its detached signature(s)
    /repos/<project>/<repo>/<arch>/repodata/<sha256>-*  immutable: cached forever or redirected
    /repos/<project>/<repo>/<arch>/RPM-GPG-KEY           the project's public keys
    /repos/<project>/<repo>/<arch>/Packages/<l>/<file>  302 to the object store
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from olivine.db.base import Database
from olivine.errors import NotFound
from olivine.repos.repofile import repo_file_text
from olivine.repos.serving import ProjectRef, RepoReader
from olivine.storage.interfaces import ObjectStore, check_key

IMMUTABLE = "public, max-age=31536000, immutable"
MISSING = -1  # the id authorize() is shown for a project that does not exist: no role names it
# the app's check for private projects: raises Unauthenticated/Forbidden (gets the request)
Authorize = Callable[[Any, ProjectRef], None]


def _private_projects_hidden(_request: Any, project: ProjectRef) -> None:
    raise NotFound(f"project {project.name!r} does not exist")


@dataclass
class RepoContext:
    """What the repository URLs need; the app makes one and plugs it in (routes.py)."""

    db: Database
    store: ObjectStore
    base_url: str
    authorize: Authorize = _private_projects_hidden  # called for private projects only
    head_ttl: float = 1.0  # seconds a repomd.xml may be served from memory after a publish
    reader: RepoReader = field(init=False)

    def __post_init__(self) -> None:
        self.reader = RepoReader(self.db, self.head_ttl)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    media_type: str | None = None
    file: Path | None = None


def _media(name: str) -> str:
    if name.endswith(".gz"):
        return "application/gzip"
    if name.endswith(".zst"):
        return "application/zstd"
    return "application/xml" if name.endswith(".xml") else "application/octet-stream"


def _project(ctx: RepoContext, name: str, request: Callable[[], Any]) -> ProjectRef:
    try:
        ref = ctx.reader.project(name)
    except NotFound:
        # a missing project is answered as a private one would be (anonymous callers: 401 with
        # WWW-Authenticate, what makes dnf send credentials), so that neither can be told apart
        ctx.authorize(request(), ProjectRef(MISSING, name, public=False))
        raise
    if not ref.public:  # public projects are readable by anyone (DESIGN.md "Auth")
        ctx.authorize(request(), ref)
    return ref


def _cache(ref: ProjectRef, value: str) -> str:
    return value if ref.public else "private, " + value


def _client(request: Callable[[], Any]) -> str:
    client = getattr(request(), "client", None)
    return str(client.host) if client is not None else ""


def repomd(ctx: RepoContext, ref: ProjectRef, repo: str, arch: str,
           headers: Mapping[str, str], client: str = "") -> Reply:  # fmt: skip
    md = ctx.reader.repomd(ref, repo, arch)
    ctx.reader.note_served(client, arch, md)
    out = {
        "ETag": md.etag,
        "Last-Modified": md.last_modified,
        "Cache-Control": _cache(ref, "no-cache"),
    }
    inm = headers.get("if-none-match")
    if (inm is not None and md.etag in inm) or (
        inm is None and headers.get("if-modified-since") == md.last_modified
    ):
        return Reply(304, out)
    return Reply(200, out, md.body, "application/xml")


def repomd_asc(ctx: RepoContext, ref: ProjectRef, repo: str, arch: str, client: str = "") -> Reply:
    body = ctx.reader.repomd_asc(ref, repo, arch, client)
    headers = {"Cache-Control": _cache(ref, "no-cache")}
    return Reply(200, headers, body, "application/pgp-signature")


def gpg_key(ctx: RepoContext, ref: ProjectRef) -> Reply:
    body = ctx.reader.gpg_keys(ref)
    if not body:
        raise NotFound(f"project {ref.name} has no signing key")
    return Reply(200, {"Cache-Control": _cache(ref, "no-cache")}, body, "application/pgp-keys")


def metadata_file(ctx: RepoContext, ref: ProjectRef, repo: str, name: str) -> Reply:
    sha = name.split("-", 1)[0]
    try:
        check_key(sha)
    except Exception:
        raise NotFound(f"no metadata file {name} in {ref.name}/{repo}") from None
    if not ctx.reader.metadata_file(ref, repo, sha):
        raise NotFound(f"no metadata file {name} in {ref.name}/{repo}")
    headers = {"Cache-Control": _cache(ref, IMMUTABLE)}
    path = getattr(ctx.store, "path", None)
    if path is not None:  # local store: the immutable file itself
        return Reply(200, headers, media_type=_media(name), file=path(sha))
    headers["Location"] = ctx.store.url_for(sha, name)
    return Reply(302, headers)


def package(ctx: RepoContext, ref: ProjectRef, repo: str, filename: str) -> Reply:
    sha = ctx.reader.package_sha256(ref, filename) if filename.endswith(".rpm") else None
    if sha is None:
        raise NotFound(f"no package {filename} in {ref.name}/{repo}")
    url = ctx.store.url_for(sha, filename)
    base = getattr(ctx.store, "base_url", None)
    if base and url.startswith(base + "/objects/"):
        url = url[len(base) :]  # the local store's links are ours: relative, whatever the host
    return Reply(302, {"Location": url, "Cache-Control": "no-store"})


def respond(ctx: RepoContext, path: str, headers: Mapping[str, str],
            request: Callable[[], Any]) -> Reply | None:  # fmt: skip
    """The reply for a GET of `path`, or None when the path is not one of ours."""
    parts = path.split("/")  # "", "repos", project, repo[.repo], arch, kind, ...
    if len(parts) < 4 or parts[1] != "repos":
        return None
    if len(parts) == 4 and parts[3].endswith(".repo"):
        ref = _project(ctx, parts[2], request)
        name = parts[3][: -len(".repo")]
        ctx.reader.layout(ref).check(ref.name, name)
        signed = bool(ctx.reader.gpg_keys(ref))
        text = repo_file_text(ctx.base_url, ref.name, name, public=ref.public, gpgkey=signed)
        return Reply(200, {"Cache-Control": _cache(ref, "no-cache")}, text.encode(), "text/plain")
    if len(parts) == 6 and parts[5] == "RPM-GPG-KEY":
        ref = _project(ctx, parts[2], request)
        ctx.reader.layout(ref).check(ref.name, parts[3], parts[4])
        return gpg_key(ctx, ref)
    if len(parts) < 7:
        return None
    project, repo, arch, kind = parts[2:6]
    if kind == "repodata" and len(parts) == 7:
        ref = _project(ctx, project, request)
        ctx.reader.layout(ref).check(ref.name, repo, arch)
        if parts[6] == "repomd.xml":
            return repomd(ctx, ref, repo, parts[4], headers, _client(request))
        if parts[6] == "repomd.xml.asc":
            return repomd_asc(ctx, ref, repo, parts[4], _client(request))
        if "-" in parts[6]:
            return metadata_file(ctx, ref, repo, parts[6])
        return None
    if kind == "Packages":
        ref = _project(ctx, project, request)
        ctx.reader.layout(ref).check(ref.name, repo, arch)
        return package(ctx, ref, repo, parts[-1])
    return None
