"""Collecting a build's outputs from its build directory, after the sandbox is gone, without
following a link at any depth.

The build directory was writable by the build, so anything in it may be hostile: a symlink
named x.rpm that points at /etc/shadow, a directory symlink above it, a FIFO that would block a
reader forever, a file that is not an RPM. The walk goes by directory file descriptors
(O_DIRECTORY | O_NOFOLLOW, dir_fd=), each file is opened O_NOFOLLOW | O_NONBLOCK and checked
with fstat to be a regular file, copied out through that descriptor, and the copy is read as an
RPM whose header and payload digests verify (`rpmkeys --checksig --nosignature`) and whose
header matches its name and kind, before anything ingests it. Anything else fails the build,
naming the file."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

from olivine.builds.rpminfo import read_header
from olivine.errors import ValidationFailed

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
}


class UnsafeOutput(ValidationFailed):
    """A build output that is not what it claims (a link, a FIFO, not a valid RPM)."""


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


@contextlib.contextmanager
def _opendir(name: str, dir_fd: int | None, shown: str) -> Iterator[int]:
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeOutput(f"build output {shown} is not a directory (a link?)") from e
        raise
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def _openfile(name: str, dir_fd: int, shown: str) -> Iterator[int]:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafeOutput(f"build output {shown} is a symbolic link: not collected") from e
        raise UnsafeOutput(f"build output {shown} cannot be opened: {e.strerror}") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeOutput(f"build output {shown} is {_kind(st.st_mode)}: not collected")
        yield fd
    finally:
        os.close(fd)


def _copy(fd: int, dest: Path, limit: int) -> None:
    out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:
                raise UnsafeOutput(f"build output {dest.name} is larger than {limit >> 20} MiB")
            os.write(out, chunk)
    finally:
        os.close(out)


def verify_digests(path: Path, shown: str) -> None:
    """The RPM's header and payload digests verify (signatures are not checked here)."""
    proc = subprocess.run(
        ["rpmkeys", "--checksig", "--nosignature", "--", str(path)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
    )
    if proc.returncode != 0:
        raise UnsafeOutput(f"{shown} is not a valid RPM: its digests do not verify")


def verify_rpm(path: Path, shown: str, source: bool | None = None) -> None:
    """Digests verify, and the header matches the file's name and kind (source: True for an
    SRPM, False for a binary RPM, None for either)."""
    verify_digests(path, shown)
    try:
        h = read_header(path)
    except ValidationFailed as e:
        raise UnsafeOutput(f"{shown} is not a readable RPM") from e
    is_source = bool(h.isSource())
    if source is not None and is_source != source:
        want = "a source RPM" if source else "a binary RPM"
        raise UnsafeOutput(f"{shown} is not {want}")
    arch = "src" if is_source else h["arch"]
    expected = f"{h['name']}-{h['version']}-{h['release']}.{arch}.rpm"
    if path.name != expected:
        raise UnsafeOutput(f"{shown} holds {expected}, not what its name says")


def collect_rpms(
    root: Path, subdir: str, depth: int, dest: Path, source: bool, limit: int = 16 << 30
) -> tuple[Path, ...]:
    """Copy every RPM `depth` levels below root/subdir (SRPMS: 1; RPMS/<arch>/: 2) into dest,
    checked as described above. A missing subdir holds nothing."""
    dest.mkdir(parents=True, exist_ok=True)
    found: list[Path] = []
    with _opendir(str(root), None, root.name) as top:
        fd = top
        with contextlib.ExitStack() as stack:
            shown = ""
            for part in Path(subdir).parts:
                shown = f"{shown}{part}"
                try:
                    fd = stack.enter_context(_opendir(part, fd, shown))
                except FileNotFoundError:
                    return ()
                shown += "/"
            _walk(fd, shown, depth, dest, source, limit, found)
    return tuple(sorted(found))


def _walk(
    dfd: int, shown: str, depth: int, dest: Path, source: bool, limit: int, found: list[Path]
) -> None:
    for name in sorted(os.listdir(dfd)):
        path = f"{shown}{name}"
        if depth > 1:
            with _opendir(name, dfd, path) as sub:
                _walk(sub, path + "/", depth - 1, dest, source, limit, found)
            continue
        suffix = ".src.rpm" if source else ".rpm"
        if not name.endswith(suffix) or (not source and name.endswith(".src.rpm")):
            raise UnsafeOutput(f"build output {path} is not an {'SRPM' if source else 'RPM'}")
        with _openfile(name, dfd, path) as fd:
            target = dest / name
            if target.exists():
                raise UnsafeOutput(f"build output {path}: two outputs named {name}")
            _copy(fd, target, limit)
        try:
            verify_rpm(target, f"build output {path}", source)
        except UnsafeOutput:
            target.unlink()
            raise
        found.append(target)


def read_text(root: Path, relpath: str, limit: int = 4 << 20) -> str | None:
    """A small text file the build wrote (None when absent), read the same way."""
    parts = Path(relpath).parts
    with _opendir(str(root), None, root.name) as top, contextlib.ExitStack() as stack:
        fd = top
        for i, part in enumerate(parts[:-1]):
            try:
                fd = stack.enter_context(_opendir(part, fd, "/".join(parts[: i + 1])))
            except FileNotFoundError:
                return None
        try:
            with _openfile(parts[-1], fd, relpath) as f:
                data = os.read(f, limit + 1)
        except UnsafeOutput as e:
            if isinstance(e.__cause__, FileNotFoundError):
                return None
            raise
    if len(data) > limit:
        raise UnsafeOutput(f"build output {relpath} is larger than {limit >> 20} MiB")
    return data.decode("utf-8", errors="replace")
