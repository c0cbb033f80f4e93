"""Run one evaluation of upstream content (a spec parse, rpmautospec, a spec edit) in the build
sandbox (olivine.builds.sandbox), never in the worker process.

The sandbox sees /usr (Debian's python3, rpm's bindings, python3-pygit2, git), a minimal /etc and
its own /build: a fresh directory holding *copies* of what the step needs (the tree, the upstream
history) and of the pure-Python code it runs (the few olivine modules of the sandbox side, the
specfile and rpmautospec libraries), so nothing it writes can reach the import tree or the
worker's installation. No network. As root, /build is a capped volume (builds/volume.py) owned by
a leased build user, as for the rpmbuild stages: a `%(dd ...)` at import stops at its cap instead
of filling the worker's disk. The request goes in as a pickle (written by the worker, read
by the sandbox); the answer comes back as JSON of bounded size, read without following links,
and only the files this module asks for are read back, the same way."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import pickle
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from olivine.builds import host, volume
from olivine.builds.sandbox import SANDBOX_HOME, SandboxSpec, chown_tree, run_sandboxed
from olivine.builds.users import BuildUser
from olivine.imports.errors import SpecError

PYLIB = ".pylib"
REQUEST = "request.pickle"
RESULT = "result.json"
RESULT_LIMIT = 4 * 1024 * 1024
OUTPUT_LIMIT = 16 * 1024 * 1024  # a spec file read back from the sandbox
LOG_LIMIT = 1024 * 1024
# What an evaluation may write to its /build beyond the copies it is given. A spec parse,
# rpmautospec's walk of the history and a spec edit write a few small files (the answer, an
# edited spec, git's index): 1 GiB and 100,000 files is far more than any of them needs and far
# less than the build disk cap (OLIVINE_BUILD_DISK_MAX, 20 GiB by default, sized for a build
# tree), so an import, which any upstream can trigger, holds at most its copies plus 1 GiB of
# the worker's disk.
EVAL_WRITE_MB = 1024
EVAL_WRITE_FILES = 100_000
_BLOCK = 4096  # ext4's block size on a volume this size: what each copied file and dir uses
# The olivine modules the sandbox side imports (and nothing else of olivine: no settings, no
# database, no store).
OLIVINE_FILES = (
    "__init__.py",
    "errors.py",
    "imports/__init__.py",
    "imports/errors.py",
    "imports/patches/model.py",
    "imports/patches/spec_edit.py",
    "imports/sandboxed/__init__.py",
    "imports/sandboxed/main.py",
)
# Third-party pure-Python packages each step needs, copied with their metadata (they read
# their own version through importlib.metadata). rpm and pygit2 are Debian's, from /usr.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "evaluate": (),
    "autospec": ("rpmautospec", "rpmautospec_core"),
    "spec_edit": ("specfile",),
    "module_read": (),
    "module_pin": (),
}

Log = Callable[[str], None]


def _package_dir(name: str) -> Path:
    found = importlib.util.find_spec(name)
    if found is None or not found.submodule_search_locations:
        raise SpecError(f"the {name} library is not installed on this worker")
    return Path(next(iter(found.submodule_search_locations)))


def _copy_pylib(dest: Path, libraries: tuple[str, ...]) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    olivine = _package_dir("olivine")
    for rel in OLIVINE_FILES:
        target = dest / "olivine" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(olivine / rel, target)
    for name in libraries:
        shutil.copytree(_package_dir(name), dest / name, ignore=ignore)
        dist = importlib.metadata.distribution(name.replace("_", "-"))
        info = Path(str(dist.locate_file(""))) / f"{dist.metadata['Name'].replace('-', '_')}"
        for d in info.parent.glob(f"{info.name}-{dist.version}.dist-info"):
            shutil.copytree(d, dest / d.name, ignore=ignore)


def _open_to_sandbox(tmp: Path, build: Path) -> None:
    """Let a sandbox that runs as its own unprivileged uid (olivine.builds.sandbox may drop
    root) reach and write its copies: the temporary directory is traversable only, the copies
    writable. They are throwaway copies, and nothing is read back but the named outputs."""
    os.chmod(tmp, 0o711)
    for root, _dirs, files in os.walk(build):
        os.chmod(root, 0o777)
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                os.chmod(p, 0o666 | (os.stat(p).st_mode & 0o111))


def read_output(build: Path, name: str, limit: int = OUTPUT_LIMIT) -> bytes:
    """A file the sandbox wrote at the top of its /build: a regular file (never a link, a FIFO
    or a device: opened with O_NOFOLLOW | O_NONBLOCK and checked with fstat), at most `limit`."""
    try:
        fd = os.open(build / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise SpecError(f"the sandboxed step left no {name} ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise SpecError(f"the sandboxed step's {name} is not a regular file")
        if st.st_size > limit:
            raise SpecError(f"the sandboxed step's {name} is larger than {limit} bytes")
        return f.read(limit + 1)[:limit]


@dataclass(frozen=True)
class _Build:
    path: Path  # bound at /build
    user: BuildUser | None
    volume: volume.Volume | None
    write_mb: int = EVAL_WRITE_MB  # what the step may write beyond its copies


def _footprint(copies: Mapping[str, Path]) -> tuple[int, int]:
    """Bytes (in whole blocks) and inodes the copies take on the volume (links not followed:
    they are copied as links)."""
    size, files = 0, 0
    for src in copies.values():
        for root, dirs, names in os.walk(src) if src.is_dir() else [("", [], [str(src)])]:
            files += 1 + len(names)
            size += _BLOCK * (1 + len(dirs))
            for n in names:
                st = os.lstat(os.path.join(root, n))
                size += -(-st.st_size // _BLOCK) * _BLOCK
    return size, files


def eval_cap(copies: Mapping[str, Path]) -> tuple[volume.DiskCap, int]:
    """The evaluation volume and what the step may write to it: the copies (and the sandbox
    side's code, a few MiB) plus EVAL_WRITE_MB / EVAL_WRITE_FILES, or the build disk cap when
    that is smaller; refused when the copies alone exceed the build disk cap."""
    size, files = _footprint(copies)
    limit = host.current().config.caps.disk
    if size >> 20 > limit.size_mb or files > limit.inodes:
        raise SpecError(
            f"the tree to evaluate ({size >> 20} MiB, {files} files) is larger than the build "
            f"disk cap ({limit.size_mb} MiB, {limit.inodes} files)"
        )
    write_mb = min(EVAL_WRITE_MB, limit.size_mb)
    cap = volume.DiskCap(write_mb + 64 + (size >> 20), EVAL_WRITE_FILES + 2048 + files)
    return cap, write_mb


@contextlib.contextmanager
def _build_dir(copies: Mapping[str, Path]) -> Iterator[_Build]:
    """A fresh /build under the worker's directory: as root, a capped volume owned by a leased
    build user (the rpmbuild stages' pattern); otherwise a plain directory."""
    bh = host.current()
    work = bh.new_dir("eval-")
    try:
        path = work / "build"
        if os.geteuid() != 0:
            path.mkdir()
            yield _Build(path, None, None)
            return
        cap, write_mb = eval_cap(copies)
        with bh.pool.lease() as user, volume.mounted(path, cap, user) as vol:
            yield _Build(path, user, vol, write_mb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _full_reason(bdir: _Build, lines: list[str]) -> str | None:
    if bdir.volume is None or bdir.volume.full_reason(lines) is None:
        return None
    return (
        f"filled its evaluation volume in the sandbox ({bdir.write_mb} MiB and "
        f"{EVAL_WRITE_FILES} files beyond the copied tree)"
    )


def run_step(
    op: str,
    request: Mapping[str, Any],
    copies: Mapping[str, Path],
    *,
    what: str,
    time_limit: float = 300.0,
    outputs: tuple[str, ...] = (),
    log: Log | None = None,
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Run `op` of the sandbox side with `request`; `copies` (name in /build -> host path, file
    or directory) are copied in first. Returns the JSON answer and the `outputs` read back.
    A failure raises SpecError with the step's own last error lines (`what` names the step)."""
    with _build_dir(copies) as bdir:
        build = bdir.path
        _copy_pylib(build / PYLIB, LIBRARIES[op])
        for name, src in copies.items():
            if src.is_dir():
                shutil.copytree(src, build / name, symlinks=True)
            else:
                shutil.copyfile(src, build / name)
        (build / REQUEST).write_bytes(pickle.dumps(dict(request)))
        if bdir.user is not None:
            chown_tree(build, bdir.user)
        else:
            _open_to_sandbox(build.parent, build)
        spec = SandboxSpec(
            build_dir=build,
            command=["/usr/bin/python3", "-m", "olivine.imports.sandboxed.main", op],
            env={
                "PYTHONPATH": f"{SANDBOX_HOME}/{PYLIB}",
                "PYTHONDONTWRITEBYTECODE": "1",
                "LC_ALL": "C.UTF-8",
                "TZ": "UTC",
                # pygit2 (Debian's) refuses to import when it finds no CA location; the sandbox
                # has no /etc/ssl and no network, so any existing directory will do
                "SSL_CERT_DIR": "/tmp",
                # the copies are the worker's files: git must not refuse them to another uid
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "safe.directory",
                "GIT_CONFIG_VALUE_0": "*",
            },
            time_limit=time_limit,
            log_limit=LOG_LIMIT,
            user=bdir.user,
        )
        lines: list[str] = []
        res = run_sandboxed(spec, lines.append)
        if res.timed_out:
            raise SpecError(f"{what}: stopped after {time_limit:.0f} s in the sandbox")
        if res.log_truncated:
            raise SpecError(f"{what}: more than {LOG_LIMIT} bytes of output in the sandbox")
        # a full volume fails the step even when the step itself succeeded: rpm ignores a
        # failing %(...), and what it printed may already stand in the answer
        if (full := _full_reason(bdir, lines)) is not None:
            raise SpecError(f"{what}: {full}")
        if res.returncode != 0:
            raise SpecError(f"{what}: failed in the sandbox: {_tail(lines)}")
        answer = _answer(build, what)
        got = {name: read_output(build, name) for name in outputs if (build / name).exists()}
        if log is not None:
            log(f"{what}: evaluated in the sandbox ({res.duration:.2f} s)")
        return answer, got


def _answer(build: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(read_output(build, RESULT, RESULT_LIMIT))
    except (ValueError, UnicodeDecodeError):
        raise SpecError(f"{what}: the sandbox gave no readable answer") from None
    if not isinstance(data, dict):
        raise SpecError(f"{what}: the sandbox gave no readable answer")
    return data


def _tail(lines: list[str]) -> str:
    errors = [ln for ln in lines if ln.startswith("error")]
    picked = errors or [ln for ln in lines if ln.strip()][-3:]
    return "; ".join(ln[:500] for ln in picked) or "no output"
