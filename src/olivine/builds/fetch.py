"""Repositories over HTTP for build-root resolution: a worker reads the project's served `all`
repo and external repos by URL (builders share no filesystem). Metadata is fetched into the
build's cache directory; packages are fetched only when chosen, and checked against the sha256
that the repository metadata promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import createrepo_c as cr
import httpx

from olivine.errors import IntegrityFailure, UpstreamError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _get(client: httpx.Client, url: str, dest: Path, sha256: str | None = None) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    try:
        with client.stream("GET", url) as r:
            if r.status_code != 200:
                raise UpstreamError(f"GET {url}: HTTP {r.status_code}")
            with dest.open("wb") as f:
                for chunk in r.iter_bytes(1 << 20):
                    h.update(chunk)
                    f.write(chunk)
    except httpx.HTTPError as e:
        raise UpstreamError(f"GET {url}: {e}") from e
    if sha256 and h.hexdigest() != sha256:
        dest.unlink(missing_ok=True)
        raise IntegrityFailure(f"{url}: sha256 {h.hexdigest()}, repository metadata says {sha256}")
    return dest


def client(auth: tuple[str, str] | None = None) -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, auth=auth)


def fetch_metadata(url: str, dest: Path, auth: tuple[str, str] | None = None) -> Path:
    """Mirror repomd.xml and the primary/filelists files it lists under dest; returns dest."""
    base = url.rstrip("/") + "/"
    with client(auth) as c:
        repomd = _get(c, base + "repodata/repomd.xml", dest / "repodata" / "repomd.xml")
        for rec in cr.Repomd(str(repomd)).records:
            if rec.type in ("primary", "filelists"):
                sha = rec.checksum if rec.checksum_type == "sha256" else None
                _get(c, base + rec.location_href, dest / rec.location_href, sha)
    return dest


def fetch_package(
    url: str, location: str, dest: Path, sha256: str | None, auth: tuple[str, str] | None = None
) -> Path:
    target = dest / location
    if target.is_file():
        return target
    with client(auth) as c:
        return _get(c, url.rstrip("/") + "/" + location, target, sha256)
