"""srpm: a source RPM from a URL (template with {name}) or an uploaded file, unpacked safely.

The spec goes to SPECS/, every other file to SOURCES/; archives and binary files go to the
lookaside (the object store), text files such as patches stay in git. The payload is unpacked
only after its header and payload digests verify (`rpmkeys --checksig --nosignature`), and then
by the checked cpio extractor (never GNU cpio, which writes through a link of the archive)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import rpm

from olivine.errors import ValidationFailed
from olivine.fetch.http import Missing, download
from olivine.imports.archive import ArchiveLimits, extract_cpio
from olivine.imports.errors import UnsafeArchive, UpstreamMissing
from olivine.imports.lookaside import Blob
from olivine.imports.upstream.base import UpstreamRequest, UpstreamTree
from olivine.storage.interfaces import ObjectStore, file_sha256

ARCHIVE_SUFFIXES = (
    ".tar",
    ".gz",
    ".tgz",
    ".bz2",
    ".tbz2",
    ".xz",
    ".txz",
    ".zst",
    ".lz",
    ".lzma",
    ".zip",
    ".7z",
    ".jar",
    ".rpm",
    ".gem",
    ".crate",
    ".whl",
    ".iso",
    ".img",
)
TEXT_LIMIT = 1024 * 1024


def goes_to_lookaside(path: Path) -> bool:
    if path.name.endswith(ARCHIVE_SUFFIXES) or path.stat().st_size > TEXT_LIMIT:
        return True
    with open(path, "rb") as f:
        return b"\x00" in f.read(8192)


def fetch(req: UpstreamRequest, work: Path) -> Path:
    if req.srpm is not None:
        if not req.srpm.is_file():
            raise UpstreamMissing(f"SRPM {req.srpm} does not exist")
        return req.srpm
    dest = work / f"{req.name}.src.rpm"
    try:
        return download(req.policy, req.url, dest, "SRPM")
    except Missing as e:
        raise UpstreamMissing(f"SRPM {req.url} not found ({e})") from None


def read(req: UpstreamRequest, work: Path, store: ObjectStore) -> UpstreamTree:
    path = fetch(req, work)
    digest = file_sha256(path)
    _verify_digests(path)  # before rpm's bindings read anything of it
    spec_name, buildtime = _check_header(path, req.name)
    unpacked = work / "unpacked"
    limits = ArchiveLimits(max_bytes=req.policy.max_bytes)
    with subprocess.Popen(
        ["rpm2cpio", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        try:
            extract_cpio(path.name, proc.stdout, unpacked, limits)
        finally:
            proc.kill()
    root = work / "tree"
    (root / "SPECS").mkdir(parents=True)
    (root / "SOURCES").mkdir()
    blobs = []
    for f in sorted(unpacked.rglob("*")):
        if not f.is_file() or f.is_symlink():
            continue
        rel = f.relative_to(unpacked).as_posix()
        if rel == spec_name:
            shutil.copy2(f, root / "SPECS" / f.name)
        elif goes_to_lookaside(f):
            put = store.put_file(f)
            blobs.append(Blob(f"SOURCES/{rel}", put.sha256, put.size))
        else:
            (root / "SOURCES" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, root / "SOURCES" / rel)
    store.put_file(path)  # kept so `import diff` can show this upstream again
    url = req.srpm.name if req.srpm is not None else req.url
    return UpstreamTree(
        kind="srpm",
        url=url,
        branch=None,
        ref=path.name,
        commit=digest,
        root=root,
        blobs=blobs,
        commit_time=buildtime,
    )


def _verify_digests(path: Path) -> None:
    """The header and payload digests rpm recorded must match the file (no signature check:
    who signed an upstream SRPM is not ours to judge here)."""
    proc = subprocess.run(
        ["rpmkeys", "--checksig", "--nosignature", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    if proc.returncode != 0 or "digests OK" not in proc.stdout:
        raise UnsafeArchive(
            f"{path.name} is not a readable RPM, or its header or payload digest does not "
            "verify (damaged or altered)"
        )


def _check_header(path: Path, name: str) -> tuple[str, int]:
    """Read the header with rpm's bindings: a source package of this name; its spec's name."""
    ts = rpm.TransactionSet()
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    try:
        with open(path, "rb") as f:
            hdr = ts.hdrFromFdno(f.fileno())
    except rpm.error as e:
        raise ValidationFailed(f"{path.name} is not a readable RPM: {e}") from None
    if not hdr.isSource():
        raise ValidationFailed(f"{path.name} is a binary RPM, not a source RPM")
    got = hdr["name"]
    got = got.decode() if isinstance(got, bytes) else got
    if got != name:
        raise ValidationFailed(f"{path.name} is a source RPM of {got}, not of {name}")
    for f in rpm.files(hdr):
        if f.fflags & rpm.RPMFILE_SPECFILE:
            return str(f.name).lstrip("/"), int(hdr["buildtime"] or 0)
    raise ValidationFailed(f"{path.name} holds no spec file")
