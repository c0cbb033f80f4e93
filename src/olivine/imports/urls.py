"""Open http(s):// and file:// URLs as streams of bytes, in constant memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from olivine.errors import UpstreamError, ValidationFailed

CHUNK = 1024 * 1024


class Missing(Exception):
    """The URL answered, but the thing is not there (404, 410, or no such file)."""


def file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise ValidationFailed(f"not a file:// URL: {url}")
    return Path(unquote(parts.path))


class ChunkReader:
    """A file-like `read(n)` over an iterator of chunks (what ObjectStore.put_stream wants)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf += nxt
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


@contextmanager
def open_url(url: str, timeout: float = 60.0) -> Iterator[Iterator[bytes]]:
    """Yield an iterator of the body's chunks. Raises Missing for 404/410 or an absent file,
    UpstreamError for anything else that fails."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        path = file_path(url)
        if not path.is_file():
            raise Missing(f"{path} does not exist")
        with open(path, "rb") as f:
            yield iter(lambda: f.read(CHUNK), b"")
        return
    if scheme not in ("http", "https"):
        raise ValidationFailed(f"unsupported URL scheme in {url} (https, http or file)")
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code in (404, 410):
                raise Missing(f"HTTP {resp.status_code}")
            if resp.status_code >= 400:
                raise UpstreamError(f"GET {url}: HTTP {resp.status_code}")
            yield resp.iter_bytes(CHUNK)
    except httpx.HTTPError as e:
        raise UpstreamError(f"GET {url}: {e}") from None


def download(url: str, dest: Path) -> Path:
    """Fetch a URL to a local file (streaming). Missing when absent."""
    tmp = dest.with_name(dest.name + ".part")
    with open_url(url) as chunks, open(tmp, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    tmp.replace(dest)
    return dest
