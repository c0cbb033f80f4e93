"""A thin HTTP client for /api/v1; problems become one-line errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from olivine.cli.context import CliContext


class CliError(Exception):
    """Printed as one line on stderr; the CLI exits non-zero."""


class Api:
    def __init__(self, ctx: CliContext, timeout: float = 120) -> None:
        self.url, self.token, self.source = ctx.resolve_with_source()
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self.http.request(method, path, **kw)
        except httpx.HTTPError as e:
            raise CliError(
                f"no Olivine instance answers at {self.url} (from {self.source}): {_why(e)}"
            ) from None
        if r.status_code >= 400:
            raise CliError(_problem(r))
        if r.status_code == 204 or not r.content:
            return None
        if "json" in r.headers.get("content-type", ""):
            return r.json()
        return r.text

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def download(self, path: str, dest: Path) -> str:
        """Save what `path` answers to `dest` (through a .part file); its sha256."""
        h = hashlib.sha256()
        part = dest.with_name(dest.name + ".part")
        try:
            with self.http.stream("GET", path, timeout=None) as r, part.open("wb") as out:
                if r.status_code >= 400:
                    r.read()
                    raise CliError(_problem(r))
                for block in r.iter_bytes():
                    h.update(block)
                    out.write(block)
        except httpx.HTTPError as e:
            part.unlink(missing_ok=True)
            raise CliError(f"lost the connection to {self.url}: {e}") from None
        except CliError:
            part.unlink(missing_ok=True)
            raise
        part.replace(dest)
        return h.hexdigest()

    def stream(self, path: str, **kw: Any) -> Iterator[str]:
        try:
            with self.http.stream("GET", path, timeout=None, **kw) as r:
                if r.status_code >= 400:
                    r.read()
                    raise CliError(_problem(r))
                yield from r.iter_text()
        except httpx.HTTPError as e:
            raise CliError(f"lost the connection to {self.url}: {e}") from None


def _why(e: httpx.HTTPError) -> str:
    if isinstance(e, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(e, httpx.TimeoutException):
        return "it did not answer in time"
    return str(e) or type(e).__name__


def _problem(r: httpx.Response) -> str:
    try:
        body = r.json()
        detail = body.get("detail") or body.get("title")
    except ValueError:
        detail = r.text.strip()[:300]
    return f"{detail} (HTTP {r.status_code})"
