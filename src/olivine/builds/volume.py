"""A build directory with a disk and inode cap: an ext4 image, loop-mounted nosuid,nodev.

Why an image and not a size-limited tmpfs: a build tree can be tens of GiB (debuginfo, test
data), which tmpfs would hold in RAM and swap, charged to the build's memory cgroup so that the
disk cap and the memory cap would fight; the image lives on disk, is sparse (only what the build
writes uses space), takes an exact inode count (`mkfs.ext4 -N`), and a `dd` stops at its end
with ENOSPC instead of filling the disk that holds the database and the object store. Making one
takes about 30 ms (no journal: a build volume need not survive a crash; a dead worker's volumes
are unmounted and removed when the worker starts again)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from olivine.builds.users import BuildUser, SandboxUnavailable

_FULL_BYTES = 1 << 20  # less free than this after a failed build: it filled its volume
_FULL_INODES = 16
_ENOSPC = "No space left on device"


@dataclass(frozen=True)
class DiskCap:
    size_mb: int = 20 * 1024
    inodes: int = 1_000_000

    @property
    def files(self) -> int:
        """The inode count the image gets: the cap, within what its size can hold (ext4 wants
        no more than one inode per 8 KiB here)."""
        return max(1024, min(self.inodes, (self.size_mb << 20) // 8192))


@dataclass(frozen=True)
class Volume:
    path: Path  # the mounted build directory
    image: Path
    cap: DiskCap

    def full_reason(self, lines: Sequence[str] = ()) -> str | None:
        """The reason to give when the failed build filled its volume; None when it did not.
        rpmbuild removes its temporary files after a failure, so a volume left nearly full
        and an ENOSPC in the log's tail count too."""
        st = os.statvfs(self.path)
        enospc = any(_ENOSPC in line for line in lines)
        slack = 64 if enospc else 1
        if st.f_bavail * st.f_frsize < _FULL_BYTES * slack:
            return f"build directory full: cap {self.cap.size_mb} MiB"
        if st.f_favail < _FULL_INODES * slack:
            return f"build directory out of inodes: cap {self.cap.files} files"
        return None


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env={"PATH": "/usr/sbin:/usr/bin"})
    if proc.returncode != 0:
        raise SandboxUnavailable(
            f"cannot make the build volume ({cmd[0]}): {proc.stderr.strip()[:300]}"
        )


@contextlib.contextmanager
def mounted(path: Path, cap: DiskCap, owner: BuildUser) -> Iterator[Volume]:
    """An empty capped volume mounted at `path` (created), owned by `owner`; unmounted and
    deleted on exit."""
    image = path.with_name(path.name + ".img")
    path.mkdir(parents=True, exist_ok=True)
    with image.open("wb") as f:
        f.truncate(cap.size_mb << 20)
    try:
        _run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-m",
                "0",
                "-N",
                str(cap.files),
                "-O",
                "^has_journal,^resize_inode",  # never resized; fewer metadata blocks to write
                "-G",
                "64",
                "-E",
                f"root_owner={owner.uid}:{owner.gid},lazy_itable_init=1,nodiscard",
                str(image),
            ]
        )
        _run(["mount", "-o", "loop,nosuid,nodev", str(image), str(path)])
        try:
            yield Volume(path, image, cap)
        finally:
            unmount(path)
    finally:
        image.unlink(missing_ok=True)


def unmount(path: Path) -> None:
    """Unmount (lazily if busy) a build volume."""
    env = {"PATH": "/usr/sbin:/usr/bin:/bin"}
    if subprocess.run(["umount", str(path)], capture_output=True, env=env).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, env=env)


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below `root` (deepest first), from /proc/self/mountinfo."""
    prefix = str(root.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == prefix or point.startswith(prefix + "/"):
            found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)
