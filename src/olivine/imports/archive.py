"""Safe unpacking (tar, and the cpio payload of SRPMs) and reproducible tarballs.

Every member is checked before anything is written: no absolute paths, no `..`, no device files,
and links only to targets inside the tree; the total size, the member count and the depth are
capped (ArchiveLimits). One bad member rejects the whole archive (the extraction directory is
then removed by the caller's temporary directory). `check_tree` checks a finished tree: every
symlink, each link of its chain followed, must resolve inside it (a later link can change what an
earlier one, checked alone, pointed at).
"""

from __future__ import annotations

import gzip
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from olivine.imports.errors import UnsafeArchive

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int = 4 * 1024**3  # of file content, all members together
    max_members: int = 200_000
    max_depth: int = 64  # directory levels of a member path
    max_path: int = 4096  # characters of a member path


class _Budget:
    def __init__(self, archive: str, limits: ArchiveLimits) -> None:
        self.archive, self.limits = archive, limits
        self.bytes = self.members = 0

    def member(self, rel: str, size: int) -> None:
        lim = self.limits
        self.members += 1
        self.bytes += max(size, 0)
        if self.members > lim.max_members:
            raise UnsafeArchive(f"{self.archive}: more than {lim.max_members} members")
        if len(rel) > lim.max_path or rel.count("/") >= lim.max_depth:
            raise UnsafeArchive(
                f"{self.archive}: member {rel[:200]!r}... is deeper than {lim.max_depth} levels "
                f"or longer than {lim.max_path} characters"
            )
        if self.bytes > lim.max_bytes:
            raise UnsafeArchive(f"{self.archive}: content larger than {lim.max_bytes} bytes")


def safe_member_path(archive: str, name: str) -> str:
    """The normalised relative path of a member, or UnsafeArchive."""
    clean = name.removeprefix("./")
    if not clean or clean == ".":
        return ""
    if clean.startswith("/") or posixpath.isabs(clean):
        raise UnsafeArchive(f"{archive}: member {name!r} has an absolute path")
    norm = posixpath.normpath(clean)
    if norm == ".." or norm.startswith("../") or ".." in clean.split("/"):
        raise UnsafeArchive(f"{archive}: member {name!r} leads out of the tree (..)")
    return norm


def check_link(archive: str, member: str, target: str) -> None:
    """A symlink `member` -> `target` must resolve inside the tree."""
    if target.startswith("/"):
        raise UnsafeArchive(f"{archive}: link {member!r} points to absolute path {target!r}")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
    if joined == ".." or joined.startswith("../"):
        raise UnsafeArchive(f"{archive}: link {member!r} -> {target!r} leads out of the tree")


def extract_tar(
    archive: str, fileobj: IO[bytes], dest: Path, limits: ArchiveLimits | None = None
) -> list[str]:
    """Extract a (possibly compressed) tar stream into dest after checking every member."""
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(archive, limits or ArchiveLimits())
    names = []
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        for m in tar:
            rel = safe_member_path(archive, m.name)
            if not rel:
                continue
            budget.member(rel, m.size if m.isreg() else 0)
            if m.issym():
                check_link(archive, rel, m.linkname)
                _check_link_on_disk(archive, dest, rel, m.linkname)
            elif m.islnk():
                safe_member_path(archive, m.linkname)
            elif not (m.isreg() or m.isdir()):
                raise UnsafeArchive(f"{archive}: member {m.name!r} is a device or fifo")
            _check_parent(archive, dest, rel)
            m.name = rel
            m.mode = (m.mode & 0o755) | (0o700 if m.isdir() else 0o600)
            m.uid = m.gid = 0
            tar.extract(m, dest, set_attrs=not m.issym())
            names.append(rel)
    return names


def _check_parent(archive: str, dest: Path, rel: str) -> None:
    """The member's directory, links resolved, must still be inside dest: a link to `.` followed
    by a link to `..` passes each textual check but escapes on disk."""
    parent = os.path.realpath(dest / rel).rsplit("/", 1)[0] if "/" in rel else str(dest)
    root = os.path.realpath(dest)
    if parent != root and not parent.startswith(root + "/"):
        raise UnsafeArchive(f"{archive}: member {rel!r} resolves outside the tree through a link")


def _check_link_on_disk(archive: str, dest: Path, rel: str, target: str) -> None:
    root = os.path.realpath(dest)
    parent = os.path.realpath((dest / rel).parent)
    resolved = os.path.realpath(os.path.join(parent, target))
    if resolved != root and not resolved.startswith(root + "/"):
        raise UnsafeArchive(f"{archive}: link {rel!r} -> {target!r} leads out of the tree")


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise UnsafeArchive(f"truncated cpio archive (wanted {n} bytes, got {len(data)})")
    return data


def extract_cpio(
    archive: str, stream: IO[bytes], dest: Path, limits: ArchiveLimits | None = None
) -> list[str]:
    """Extract a cpio "newc" stream (what rpm2cpio writes) into dest.

    Hand-written because neither the standard library nor rpm's Python bindings give a checked,
    streaming cpio reader, and GNU cpio writes outside the tree unless told not to; the newc
    format is a fixed 110-byte ASCII header, a name and the data, each padded to 4 bytes."""
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(archive, limits or ArchiveLimits())
    names: list[str] = []
    while True:
        hdr = _read_exact(stream, 110)
        if hdr[:6] not in (b"070701", b"070702"):
            raise UnsafeArchive(f"{archive}: not a newc cpio archive")
        fields = [int(hdr[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name = _read_exact(stream, namesize)[:-1].decode("utf-8", "surrogateescape")
        _read_exact(stream, (-(110 + namesize)) % 4)
        if name == "TRAILER!!!":
            return names
        budget.member(name.removeprefix("./"), size)
        _extract_cpio_member(archive, stream, dest, name, mode, size)
        _read_exact(stream, (-size) % 4)
        names.append(name.removeprefix("./"))


def _extract_cpio_member(
    archive: str, stream: IO[bytes], dest: Path, name: str, mode: int, size: int
) -> None:
    rel = safe_member_path(archive, name)
    _check_parent(archive, dest, rel)
    if stat.S_ISLNK(mode):
        target = _read_exact(stream, size).decode("utf-8", "surrogateescape")
        check_link(archive, rel, target)
        _check_link_on_disk(archive, dest, rel, target)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, dest / rel)
        return
    if stat.S_ISDIR(mode):
        (dest / rel).mkdir(parents=True, exist_ok=True)
        return
    if not stat.S_ISREG(mode):
        raise UnsafeArchive(f"{archive}: member {name!r} is not a regular file or directory")
    out_path = dest / rel
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.is_symlink():
        raise UnsafeArchive(f"{archive}: member {name!r} would write through a link")
    with open(out_path, "wb") as out:
        left = size
        while left:
            chunk = _read_exact(stream, min(CHUNK, left))
            out.write(chunk)
            left -= len(chunk)
    os.chmod(out_path, 0o644 | (mode & 0o111))


def check_tree(root: Path, label: str) -> None:
    """Every entry of the finished tree is a file, a directory or a symlink that resolves
    inside the tree with every link of its chain followed; else UnsafeArchive naming it."""
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                resolved = os.path.realpath(path)
                if resolved != real_root and not resolved.startswith(real_root + "/"):
                    target = os.readlink(path)
                    raise UnsafeArchive(
                        f"{label}: link {rel!r} -> {target!r} resolves outside the tree "
                        "once every link of its chain is followed"
                    )
            elif not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                raise UnsafeArchive(f"{label}: {rel!r} is a device, fifo or socket")


def reproducible_tar_gz(root: Path, files: Iterable[str], prefix: str, out: IO[bytes]) -> None:
    """Write `files` (paths relative to root) as a .tar.gz under `prefix/`: sorted names, fixed
    owner, mode and mtime, gzip without a timestamp, so the same tree gives the same bytes."""
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        names = sorted(files)
        for d in sorted({p for f in names for p in _parents(f)}):
            if prefix or d:
                tar.addfile(_info(_join(prefix, d), tarfile.DIRTYPE, 0o755))
        for rel in names:
            path = root / rel
            if path.is_symlink():
                info = _info(_join(prefix, rel), tarfile.SYMTYPE, 0o777)
                info.linkname = os.readlink(path)
                tar.addfile(info)
                continue
            exe = os.stat(path).st_mode & 0o111
            info = _info(_join(prefix, rel), tarfile.REGTYPE, 0o755 if exe else 0o644)
            info.size = path.stat().st_size
            with open(path, "rb") as f:
                tar.addfile(info, f)


def _join(prefix: str, rel: str) -> str:
    return "/".join(p for p in (prefix, rel) if p)


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))] + [""]


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.rstrip("/"))
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
