"""Downloads under the fetch policy: http(s):// and file:// URLs as streams of bytes, in constant
memory, with the size and time caps of the policy.

The connection goes to the address the policy checked (the URL's host is kept for the Host
header, TLS SNI and the certificate check), redirects are followed here, each one checked again,
and credentials are sent only to the origin they were given for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from olivine.errors import UpstreamError
from olivine.fetch.policy import FetchPolicy, FetchRefused, FetchTooLarge, Target

CHUNK = 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


class Missing(Exception):
    """The URL answered, but the thing is not there (404, 410, or no such file)."""


def _pinned_url(t: Target) -> str:
    parts = urlsplit(t.url)
    host = f"[{t.address}]" if ":" in t.address else t.address
    return urlunsplit(parts._replace(netloc=f"{host}:{t.port}"))


def _host_header(t: Target) -> str:
    default = 443 if t.scheme == "https" else 80
    host = f"[{t.host}]" if ":" in t.host else t.host
    return host if t.port == default else f"{host}:{t.port}"


def _capped(
    chunks: Iterator[bytes], policy: FetchPolicy, url: str, what: str, start: float
) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > policy.max_bytes:
            raise FetchTooLarge(f"{what} {url} is larger than the cap of {policy.max_bytes} bytes")
        if time.monotonic() - start > policy.timeout:
            raise FetchTooLarge(f"{what} {url} took longer than the cap of {policy.timeout:.0f} s")
        yield chunk


@contextmanager
def open_url(
    policy: FetchPolicy, url: str, what: str = "URL", auth: tuple[str, str] | None = None
) -> Iterator[Iterator[bytes]]:
    """Yield an iterator of the body's chunks. Missing for 404/410 or an absent file,
    FetchRefused when the policy refuses the URL or a redirect, FetchTooLarge past a cap,
    UpstreamError for anything else that fails."""
    start = time.monotonic()
    if urlsplit(url).scheme == "file":
        path = policy.file_url(url, what)
        if not path.is_file():
            raise Missing("no such file")
        with open(path, "rb") as f:
            yield _capped(iter(lambda: f.read(CHUNK), b""), policy, url, what, start)
        return
    timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    origin = _origin_of(url)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            current = url
            for _ in range(policy.max_redirects + 1):
                t = policy.check_url(current, what)
                req = client.build_request(
                    "GET",
                    _pinned_url(t),
                    headers={"Host": _host_header(t)},
                    extensions={"sni_hostname": t.host} if t.scheme == "https" else {},
                )
                # credentials only for the origin they were given for, never after a redirect away
                basic = None
                if auth is not None and _origin_of(current) == origin:
                    basic = httpx.BasicAuth(*auth)
                resp = client.send(req, stream=True, auth=basic)
                try:
                    if resp.is_redirect and "location" in resp.headers:
                        current = urljoin(current, resp.headers["location"])
                        continue
                    _check_status(resp, url, what, policy)
                    # chunks as they arrive (not buffered to a size): the time cap is checked often
                    yield _capped(resp.iter_bytes(), policy, url, what, start)
                    return
                finally:
                    resp.close()
            raise FetchRefused(f"{what} {url}: more than {policy.max_redirects} redirects")
    except httpx.HTTPError as e:
        raise UpstreamError(f"GET {url}: {type(e).__name__}: {e}") from None


def _check_status(resp: httpx.Response, url: str, what: str, policy: FetchPolicy) -> None:
    if resp.status_code in (404, 410):
        raise Missing(f"HTTP {resp.status_code}")
    if resp.status_code >= 400:
        raise UpstreamError(f"GET {url}: HTTP {resp.status_code}")
    length = resp.headers.get("content-length", "")
    if length.isdigit() and int(length) > policy.max_bytes:
        raise FetchTooLarge(f"{what} {url} is larger than the cap of {policy.max_bytes} bytes")


def _origin_of(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    return (p.scheme, p.hostname or "", p.port)


def download(policy: FetchPolicy, url: str, dest: Path, what: str = "URL") -> Path:
    """Fetch a URL to a local file (streaming). Missing when absent."""
    tmp = dest.with_name(dest.name + ".part")
    try:
        with open_url(policy, url, what) as chunks, open(tmp, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dest)
    return dest
