"""Repositories over HTTP for build-root resolution: a worker reads the project's served `all`
repo and external repos by URL (builders share no filesystem). Metadata is fetched into the
build's cache directory; packages are fetched only when chosen, and checked against the sha256
that the repository metadata promises. Every URL goes through the fetch policy
(olivine.fetch.policy: no private address or local path unless the administrator allowed it,
redirects re-checked, size and time caps); the default policy is the strict one."""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path

import createrepo_c as cr

from olivine.builds.solvcache import FetchedFiles
from olivine.errors import IntegrityFailure, UpstreamError
from olivine.fetch.http import Missing, open_url
from olivine.fetch.policy import FetchPolicy

WHAT = "repository"


def _local(dest: Path, location: str, url: str) -> Path:
    """Where a file the metadata names goes under dest: never outside it."""
    norm = posixpath.normpath(location)
    if location.startswith("/") or norm == ".." or norm.startswith("../"):
        raise IntegrityFailure(f"repository {url} names a file outside it: {location!r}")
    return dest / norm


def _get(
    policy: FetchPolicy,
    url: str,
    dest: Path,
    sha256: str | None = None,
    auth: tuple[str, str] | None = None,
) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    try:
        with open_url(policy, url, WHAT, auth) as chunks, dest.open("wb") as f:
            for chunk in chunks:
                h.update(chunk)
                f.write(chunk)
    except Missing as e:
        dest.unlink(missing_ok=True)
        raise UpstreamError(f"GET {url}: {e}") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if sha256 and h.hexdigest() != sha256:
        dest.unlink(missing_ok=True)
        # the expected digest only: the computed one would describe whatever the URL led to
        raise IntegrityFailure(f"{url}: content differs from the sha256 {sha256} the metadata says")
    return dest


def fetch_metadata(
    url: str,
    dest: Path,
    auth: tuple[str, str] | None = None,
    policy: FetchPolicy | None = None,
    types: tuple[str, ...] = ("primary", "filelists", "modules"),
    kept: FetchedFiles | None = None,
) -> Path:
    """Mirror repomd.xml and the files of the record `types` it lists under dest (by default
    primary, filelists and the modules document, if any); returns dest. `kept`: files fetched
    before, by the sha256 repomd.xml names (taken from there, and kept there once checked)."""
    pol = policy or FetchPolicy()
    base = url.rstrip("/") + "/"
    repomd = _get(pol, base + "repodata/repomd.xml", dest / "repodata" / "repomd.xml", None, auth)
    for rec in cr.Repomd(str(repomd)).records:
        if rec.type in types:
            sha = rec.checksum if rec.checksum_type == "sha256" else None
            local = _local(dest, rec.location_href, url)
            if sha and kept is not None and kept.take(sha, local):
                continue
            _get(pol, base + rec.location_href, local, sha, auth)
            if sha and kept is not None:
                kept.keep_file(sha, local)
    return dest


def fetch_package(
    url: str,
    location: str,
    dest: Path,
    sha256: str | None,
    auth: tuple[str, str] | None = None,
    policy: FetchPolicy | None = None,
) -> Path:
    target = _local(dest, location, url)
    if target.is_file():
        return target
    return _get(policy or FetchPolicy(), url.rstrip("/") + "/" + location, target, sha256, auth)
