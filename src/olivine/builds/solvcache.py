"""A worker's cache of repositories: their metadata files as fetched (by sha256), and each
repository as libsolv reads it.

The metadata files of a repository served over HTTP (external repos, a farm's `all`) are fetched
by every arch build; those whose repomd.xml names their sha256 are kept under that digest after
they were fetched and checked against it, and later builds copy them from here instead (repomd.xml
itself is always fetched: it says what is current). The libsolv part: each arch build resolves its
BuildRequires against the project's `all` repo and its external repos, and reading a 20,000-package
primary + filelists from XML costs libsolv about 0.6 s of CPU, for every build, while the
repository is the same between most builds. libsolv's own `.solv` format loads it in a few
milliseconds (libsolv writes and reads it: `Repo.write`, `Repo.add_solv`; what is ours is only
the key and the eviction).

The key is the sha256 of the metadata files themselves (as the build has them, compressed), with
the libsolv version: a repository that changed, or another libsolv, is read from XML again.
The cache lives in the worker's own directory, which no sandbox sees. A file that does not load
(truncated, another format) is read from XML and written again; writes go to a temporary name
and are renamed into place, so builds reading at the same time see a whole file or none."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import solv

from olivine.storage.interfaces import file_sha256

KEEP = 16  # repositories kept (the least recently used go first)
_VERSION = importlib.metadata.version("solv")  # the .solv format is libsolv's own


class SolvCache:
    def __init__(self, root: Path, keep: int = KEEP) -> None:
        self.root = root
        self.keep = keep

    @property
    def fetched(self) -> FetchedFiles:
        return FetchedFiles(self.root / "fetched", self.keep * 4)

    def key(self, files: Sequence[Path]) -> str:
        h = hashlib.sha256(f"libsolv {_VERSION}\n".encode())
        for f in files:
            h.update(f"{f.name} {file_sha256(f)}\n".encode())
        return h.hexdigest()

    def load(self, repo: solv.Repo, files: Sequence[Path], read: Callable[[], None]) -> bool:
        """Fill `repo` with what `files` hold: from the cache when it has them (True), else by
        `read()` (which parses them into `repo`), and then keep the result (False)."""
        path = self.root / f"{self.key(files)}.solv"
        if self._add_solv(repo, path):
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used
            return True
        repo.empty()
        read()
        self._write(repo, path)
        return False

    def _add_solv(self, repo: solv.Repo, path: Path) -> bool:
        f = solv.xfopen(str(path)) if path.is_file() else None
        if f is None:
            return False
        try:
            return bool(repo.add_solv(f))
        finally:
            f.close()

    def _write(self, repo: solv.Repo, path: Path) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        try:
            repo.internalize()
            f = solv.xfopen(str(tmp), "w")
            if f is None:
                return
            try:
                written = repo.write(f)
            finally:
                f.close()
            if written:
                os.replace(tmp, path)
                _evict(self.root.glob("*.solv"), self.keep)
        except OSError:
            pass  # a cache that cannot be written is only slower
        finally:
            tmp.unlink(missing_ok=True)


_HEX64 = re.compile(r"[0-9a-f]{64}")


class FetchedFiles:
    """Metadata files by the sha256 they were checked against when fetched. The digest comes
    from a repository's repomd.xml (anyone's): only 64 hex digits name a file here."""

    def __init__(self, root: Path, keep: int) -> None:
        self.root = root
        self.keep = keep

    def take(self, sha256: str, dest: Path) -> bool:
        """Copy the file of `sha256` to `dest` if kept (True)."""
        if not _HEX64.fullmatch(sha256):
            return False
        src = self.root / sha256
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        except OSError:
            return False
        with contextlib.suppress(OSError):
            os.utime(src)
        return True

    def keep_file(self, sha256: str, path: Path) -> None:
        """Keep `path`, whose content the caller checked to be `sha256`."""
        if not _HEX64.fullmatch(sha256):
            return
        target = self.root / sha256
        tmp = target.with_name(f".{sha256}.{uuid.uuid4().hex[:8]}")
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except OSError:
            pass  # only slower next time
        finally:
            tmp.unlink(missing_ok=True)
        _evict((p for p in self.root.iterdir() if not p.name.startswith(".")), self.keep)


def _evict(files: Iterable[Path], keep: int) -> None:
    """Remove all but the `keep` most recently used of `files`."""
    for old in sorted(files, key=_mtime, reverse=True)[keep:]:
        old.unlink(missing_ok=True)


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0
