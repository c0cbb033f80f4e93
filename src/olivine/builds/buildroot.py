"""Build roots for the rpmbuild backend: the RPMs a build requires, unpacked into a tree that is
laid over the host's /usr (see sandbox.py). Files outside /usr (or the /bin /lib /lib64 /sbin
aliases of /usr on a merged-/usr host) are left out: the sandbox shows only /usr."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from olivine.errors import IntegrityFailure

_USR_ALIASES = {"bin": "bin", "sbin": "sbin", "lib": "lib", "lib64": "lib64"}


def unpack_rpms(rpms: Iterable[Path], dest: Path) -> Path:
    """Unpack each RPM's payload under dest; returns dest/usr (created even when empty)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in rpms:
        _unpack(path, dest)
    for alias, target in _USR_ALIASES.items():
        top = dest / alias
        if top.is_dir() and not top.is_symlink():
            _merge(top, dest / "usr" / target)
    usr = dest / "usr"
    usr.mkdir(exist_ok=True)
    return usr


def _unpack(path: Path, dest: Path) -> None:
    r2c = subprocess.Popen(["rpm2cpio", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cpio = subprocess.run(
        ["cpio", "-idm", "--quiet", "--no-absolute-filenames"],
        stdin=r2c.stdout,
        cwd=dest,
        capture_output=True,
    )
    assert r2c.stdout is not None
    r2c.stdout.close()
    err = r2c.stderr.read().decode(errors="replace") if r2c.stderr else ""
    if r2c.wait() != 0 or cpio.returncode != 0:
        msg = (err or cpio.stderr.decode(errors="replace")).strip()
        raise IntegrityFailure(f"cannot unpack {path.name} into the build root: {msg}")


def _merge(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        target = dst / item.name
        if item.is_dir() and not item.is_symlink() and target.is_dir():
            _merge(item, target)
        else:
            shutil.move(str(item), str(target))
    shutil.rmtree(src, ignore_errors=True)
