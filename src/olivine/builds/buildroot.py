"""Build roots for the rpmbuild backend: the RPMs a build requires, unpacked into a tree that is
laid over the host's /usr (see sandbox.py). Files outside /usr (or the /bin /lib /lib64 /sbin
aliases of /usr on a merged-/usr host) are left out: the sandbox shows only /usr.

An RPM payload is upstream content: each RPM's header and payload digests are verified first,
then `rpm2cpio | cpio` runs inside the sandbox, as a build user, with the RPMs bound read-only
and the tree as its only writable place. Debian 12's cpio writes through a symlink an earlier
member of the same archive made (`usr/x -> /etc`, then `usr/x/cron.d/p`): in the sandbox that
reaches only the sandbox's own read-only view, never the host. The tree is then used read-only
(the overlay's lower layer)."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from olivine.builds import collect
from olivine.builds.sandbox import SandboxSpec, run_sandboxed
from olivine.errors import IntegrityFailure

_UNPACK = """set -eo pipefail
for r in /rpms/*.rpm; do
  [ -e "$r" ] || continue
  rpm2cpio "$r" | cpio -idm --quiet --no-absolute-filenames
done
for a in bin sbin lib lib64; do
  if [ -d "$a" ] && [ ! -L "$a" ]; then
    mkdir -p "usr/$a" && cp -a "$a/." "usr/$a/" && rm -rf "$a"
  fi
done
mkdir -p usr
"""


def unpack_rpms(rpms: Iterable[Path], dest: Path, time_limit: float = 3600.0) -> Path:
    """Unpack each RPM's payload under dest (in the sandbox); returns dest/usr."""
    dest.mkdir(parents=True, exist_ok=True)
    staged = dest.with_name(dest.name + "-rpms")
    staged.mkdir(mode=0o755, exist_ok=True)
    try:
        for i, path in enumerate(rpms):
            collect.verify_digests(path, f"build-root package {path.name}")
            target = staged / f"{i:05d}-{path.name}"
            shutil.copyfile(path, target)
            target.chmod(0o644)
        lines: list[str] = []
        spec = SandboxSpec(
            build_dir=dest,
            command=["/bin/bash", "-c", _UNPACK],
            ro_binds=((staged, "/rpms"),),
            time_limit=time_limit,
        )
        res = run_sandboxed(spec, lines.append)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    if not res.ok:
        tail = "; ".join(lines[-3:]) or res.limit_reason or f"exit status {res.returncode}"
        raise IntegrityFailure(f"cannot unpack the build root: {tail[:300]}")
    usr = dest / "usr"
    if not stat.S_ISDIR(os.lstat(usr).st_mode):  # an RPM that makes usr a link
        raise IntegrityFailure("a build-root package makes /usr a link: refused")
    return usr
