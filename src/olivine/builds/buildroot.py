"""Build roots for the rpmbuild backend: the RPMs a build requires, unpacked into a tree that is
laid over the host's /usr (see sandbox.py). Files outside /usr (or the /bin /lib /lib64 /sbin
aliases of /usr on a merged-/usr host) are left out: the sandbox shows only /usr.

An RPM payload is upstream content: each RPM's header and payload digests are verified first,
then `rpm2cpio | cpio` runs inside the sandbox, as a build user, with the RPMs bound read-only
and the tree as its only writable place. Debian 12's cpio writes through a symlink an earlier
member of the same archive made (`usr/x -> /etc`, then `usr/x/cron.d/p`): in the sandbox that
reaches only the sandbox's own read-only view, never the host. The tree is then used read-only
(the overlay's lower layer).

The tree is bounded by the build's disk cap without a volume of its own (a second mkfs and loop
mount per build): cpio writes no more than the archive it reads holds, so a meter between
rpm2cpio and cpio (_METER, one python3 in the sandbox for every RPM) reads each entry's header
of the newc stream, charges its size in whole 4 KiB blocks (at least one) and one file against
a running budget for the whole root, and stops the unpack before passing on an entry beyond
it. Any other archive format is refused."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from olivine.builds import collect
from olivine.builds.sandbox import SandboxSpec, run_sandboxed
from olivine.builds.volume import DiskCap
from olivine.errors import IntegrityFailure

_REFUSED = "olivine-unpack: "  # the meter's one line when it stops the unpack
_METER = r"""
import os, signal, sys

BLOCK, HEAD, NAME_MAX = 4096, 110, 4096  # NAME_MAX: PATH_MAX
left_bytes, left_files = int(sys.argv[1]), int(sys.argv[2])


class Refused(Exception):
    pass


class Meter:
    # newc: a 110-byte header (magic, 13 fields of 8 hex digits), the name (namesize bytes
    # with its NUL) padded to 4, then filesize bytes of data padded to 4; "TRAILER!!!" ends it
    def __init__(self, rpm):
        self.rpm, self.head, self.skip, self.done = rpm, bytearray(), 0, False

    def feed(self, chunk):
        i, n = 0, len(chunk)
        while i < n and not self.done:
            if self.skip:
                t = min(self.skip, n - i)
                self.skip -= t
                i += t
                continue
            want = HEAD if len(self.head) < HEAD else (HEAD + self.field(94) + 3) & ~3
            t = min(want - len(self.head), n - i)
            self.head += chunk[i : i + t]
            i += t
            if len(self.head) == HEAD and self.head[:6] not in (b"070701", b"070702"):
                raise Refused(f"{self.rpm}: its payload is not a newc cpio archive")
            if len(self.head) == HEAD and self.field(94) > NAME_MAX:
                raise Refused(f"{self.rpm}: a cpio entry name longer than {NAME_MAX} bytes")
            if len(self.head) == want > HEAD:
                self.entry()

    def field(self, at):
        try:
            return int(self.head[at : at + 8], 16)
        except ValueError:
            raise Refused(f"{self.rpm}: a malformed cpio header") from None

    def entry(self):
        global left_bytes, left_files
        size, namesize = self.field(54), self.field(94)
        name = bytes(self.head[HEAD : HEAD + namesize - 1])
        self.head = bytearray()
        if name == b"TRAILER!!!":
            self.done = True  # cpio reads no further
            return
        left_files -= 1
        left_bytes -= max(BLOCK, -(-size // BLOCK) * BLOCK)
        if left_bytes < 0:
            raise Refused(f"{self.rpm} expands beyond the build's disk cap ({CAP_MB} MiB)")
        if left_files < 0:
            raise Refused(f"{self.rpm} holds more files than the build's cap ({CAP_FILES})")
        self.skip = (size + 3) & ~3


def spawn(argv, stdin, stdout):
    acts = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, stdout, 1)]
    return os.posix_spawnp(argv[0], argv, os.environ, file_actions=acts)


def unpack(path, name):
    src_r, src_w = os.pipe()
    dst_r, dst_w = os.pipe()
    pids = [spawn(["rpm2cpio", path], 0, src_w)]
    pids.append(spawn(["cpio", "-idm", "--quiet", "--no-absolute-filenames"], dst_r, 1))
    os.close(src_w)
    os.close(dst_r)
    meter = Meter(name)
    try:
        while chunk := os.read(src_r, 1 << 20):
            meter.feed(chunk)  # before cpio sees any of it
            view = memoryview(chunk)
            while view:
                view = view[os.write(dst_w, view) :]
    except Refused:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        raise
    except BrokenPipeError:
        pass  # cpio stopped: its status says why
    finally:
        os.close(dst_w)
        os.close(src_r)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    if any(codes):
        sys.exit(f"cannot unpack {name}: rpm2cpio, cpio exit status {codes}")


CAP_MB, CAP_FILES = left_bytes >> 20, left_files
try:
    for entry in sorted(os.listdir("/rpms")):
        if entry.endswith(".rpm"):
            unpack(f"/rpms/{entry}", entry.split("-", 1)[1])
except Refused as e:
    print(f"olivine-unpack: build-root package {e}", file=sys.stderr, flush=True)
    sys.exit(3)
"""
_UNPACK = """set -eo pipefail
/usr/bin/python3 -I -S -c "$1" "$2" "$3"
for a in bin sbin lib lib64; do
  if [ -d "$a" ] && [ ! -L "$a" ]; then
    mkdir -p "usr/$a" && cp -a "$a/." "usr/$a/" && rm -rf "$a"
  fi
done
mkdir -p usr
"""


def unpack_rpms(
    rpms: Iterable[Path],
    dest: Path,
    time_limit: float = 3600.0,
    max_bytes: int = DiskCap().size_mb << 20,
    max_files: int = DiskCap().inodes,
) -> Path:
    """Unpack each RPM's payload under dest (in the sandbox), within `max_bytes` (whole 4 KiB
    blocks) and `max_files` for them all (the build's disk cap); returns dest/usr. Raises
    IntegrityFailure naming the package that went beyond it."""
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
            command=["/bin/bash", "-c", _UNPACK, "unpack", _METER, str(max_bytes), str(max_files)],
            ro_binds=((staged, "/rpms"),),
            time_limit=time_limit,
        )
        res = run_sandboxed(spec, lines.append)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    if not res.ok:
        refused = [ln.removeprefix(_REFUSED) for ln in lines if ln.startswith(_REFUSED)]
        if refused:
            raise IntegrityFailure(f"cannot unpack the build root: {refused[-1][:300]}")
        tail = "; ".join(lines[-3:]) or res.limit_reason or f"exit status {res.returncode}"
        raise IntegrityFailure(f"cannot unpack the build root: {tail[:300]}")
    usr = dest / "usr"
    if not stat.S_ISDIR(os.lstat(usr).st_mode):  # an RPM that makes usr a link
        raise IntegrityFailure("a build-root package makes /usr a link: refused")
    return usr
