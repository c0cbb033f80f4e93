"""The forge, read-only over git's smart HTTP protocol: `/git/<project>/rpms/<pkg>.git/...`.

git's own `git http-backend` CGI does the protocol; this route only checks who may read the
project, refuses pushes, and streams the CGI's answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from olivine.api.deps import Caller, Svc, project_for
from olivine.auth.policy import Action, Principal
from olivine.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from olivine.forge.interfaces import check_part
from olivine.services import Services

router = APIRouter(tags=["forge"])
PATH = "/git/{project}/rpms/{repo}/{path:path}"
# what a fetch asks for, smart or dumb protocol; nothing else of a repository (config, hooks,
# objects/info/alternates naming another path) and nothing outside it
READ_ONLY = re.compile(
    r"info/refs|HEAD|git-upload-pack|objects/info/packs"
    r"|objects/[0-9a-f]{2}/[0-9a-f]{38}(?:[0-9a-f]{24})?"
    r"|objects/pack/pack-[0-9a-f]{40}(?:[0-9a-f]{24})?\.(?:pack|idx)"
)


@router.get(PATH, operation_id="git_fetch")
@router.post(PATH, operation_id="git_upload_pack")
async def git_http(
    project: str, repo: str, path: str, request: Request, svc: Svc, who: Caller
) -> StreamingResponse:
    await run_in_threadpool(_readable, svc, who, project)
    package = repo.removesuffix(".git")
    if not repo.endswith(".git") or not _valid_package(package):
        raise NotFound(f"no such forge repository: {project}/rpms/{repo}")
    service = request.query_params.get("service")
    if service == "git-receive-pack" or path == "git-receive-pack":
        raise Forbidden("the forge is read-only over HTTP; imports write to it")
    if not READ_ONLY.fullmatch(path):
        raise NotFound(f"no such forge path: {path}")
    root = svc.settings.forge_dir
    if not (root / project / "rpms" / f"{package}.git" / "HEAD").is_file():
        raise NotFound(f"forge repository {project}/rpms/{package} does not exist")
    body = await request.body() if request.method == "POST" else b""
    env = {
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{project}/rpms/{package}.git/{path}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.url.query,
        "CONTENT_TYPE": request.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_USER": who.name,
        "PATH": "/usr/bin:/bin",
    }
    if request.headers.get("git-protocol"):
        env["GIT_PROTOCOL"] = request.headers["git-protocol"]
    proc = await asyncio.create_subprocess_exec(
        "git",
        "http-backend",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(body)
    await proc.stdin.drain()
    proc.stdin.close()
    status, headers = await _cgi_headers(proc.stdout)
    return StreamingResponse(_rest(proc), status_code=status, headers=headers)


def _valid_package(name: str) -> bool:
    try:
        check_part("package", name)
    except ValidationFailed:
        return False
    return True


def _readable(svc: Services, who: Principal, project: str) -> None:
    """A project the caller cannot see, private or missing, asks an anonymous caller for
    credentials (401 with WWW-Authenticate is what makes git send them) in the same words."""
    try:
        project_for(svc, who, project, Action.READ)
    except NotFound:
        if who.anonymous:
            raise Unauthenticated(f"project {project} needs credentials (a token)") from None
        raise


async def _cgi_headers(stdout: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status, headers = 200, dict[str, str]()
    while True:
        line = (await stdout.readline()).decode("latin-1").rstrip("\r\n")
        if not line:
            return status, headers
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        else:
            headers[name.strip()] = value.strip()


async def _rest(proc: asyncio.subprocess.Process) -> AsyncIterator[bytes]:
    assert proc.stdout is not None
    try:
        while chunk := await proc.stdout.read(65536):
            yield chunk
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
