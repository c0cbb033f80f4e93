"""The signing worker's own uid, directories and KEK, and the command line that starts it.

`olivine up` (supervisor.py) calls `prepare_signer` once, then starts `signer_command(...)` as a
process of its own. As root the signer runs as the system user `olivine-signer`, with its KEK at
/var/lib/olivine-signer/<instance>/kek (outside the data directory, owned by that uid, 0600),
made on first start; the API and build workers run as other uids and get EACCES reading it. Not
root (a developer's laptop): the signer is a process of the same uid with its KEK under
~/.local/state/olivine-signer/<instance>/, still outside the data directory and 0600 (a separate
uid needs root; docs/signing.md says what that leaves).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from olivine.builds.cgroups import join_commands
from olivine.errors import ConfigError
from olivine.signing.sealing import KEK_BYTES

SIGNER_USER = "olivine-signer"
API_USER = "olivine-api"  # the API's own uid under a root `olivine up`
DATA_GROUP = "olivine-data"  # the API, the workers and the signer share the data files
SIGNER_STATE = Path("/var/lib/olivine-signer")

log = logging.getLogger("olivine.signer")


@dataclass(frozen=True)
class SignerRuntime:
    uid: int
    gid: int
    kek_file: Path
    runtime_dir: Path  # per-job GNUPGHOMEs
    separate_uid: bool


def instance_name(data_dir: Path) -> str:
    """One signer state directory per data directory."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _own_dir(path: Path, uid: int, gid: int) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    path.chmod(0o700)


def _make_kek(path: Path, uid: int, gid: int) -> None:
    """A new random KEK owned by `uid`, mode 0600 (never overwritten)."""
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, os.urandom(KEK_BYTES))
        os.fchown(fd, uid, gid)
    finally:
        os.close(fd)


def reachable_by_others(data_dir: Path) -> bool:
    """Whether another uid can get to the data directory (every directory above it lets others
    through): the signer's own uid needs the embedded database and store in there."""
    return all(os.stat(p).st_mode & 0o001 for p in data_dir.resolve().parents)


def prepare_signer(data_dir: Path, state_root: Path | None = None) -> SignerRuntime:
    """Make (once) the signer's user, its state directory and its KEK; idempotent."""
    inst = instance_name(data_dir)
    if os.geteuid() == 0 and not reachable_by_others(data_dir):
        log.warning(
            "the signing worker runs as this uid: a directory above %s is closed to other "
            "uids (move the data directory where the %s user can reach it to separate them)",
            data_dir, SIGNER_USER,
        )  # fmt: skip
    if os.geteuid() == 0 and reachable_by_others(data_dir):
        user = _ensure_user(SIGNER_USER)
        uid, gid, separate = user.pw_uid, user.pw_gid, True
        root = state_root or SIGNER_STATE
    else:
        uid, gid, separate = os.geteuid(), os.getegid(), False
        root = state_root or Path.home() / ".local" / "state" / "olivine-signer"
    state = root / inst
    if data_dir.resolve() in state.resolve().parents:
        raise ConfigError(f"the signer's state {state} must lie outside the data directory")
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    _own_dir(state, uid, gid)
    _own_dir(state / "run", uid, gid)
    _make_kek(state / "kek", uid, gid)
    return SignerRuntime(uid, gid, state / "kek", state / "run", separate)


def as_uid(uid: int, gid: int) -> list[str]:
    """The command prefix that runs a child as `uid` (its groups from /etc/group), no caps."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups", "--inh-caps=-all"]


def signer_command(rt: SignerRuntime, cgroup_procs: Sequence[Path] = ()) -> list[str]:
    """`olivine worker --queue olivine-sign`, as the signer's uid when there is one, started in
    the cgroup delegated to it (`cgroup_procs`: builds.cgroups.delegate), where its sandboxes
    make their own cgroups."""
    cmd = [sys.executable, "-m", "olivine.cli", "worker", "--queue", "olivine-sign"]
    if not rt.separate_uid:
        return cmd
    cmd = [*as_uid(rt.uid, rt.gid), *cmd]
    if not cgroup_procs:
        return cmd
    joins = " && ".join(join_commands(cgroup_procs))
    return ["/bin/sh", "-ec", f'{joins} && exec "$@"', "olivine-signer", *cmd]


def delegate_cgroup(data_dir: Path, rt: SignerRuntime) -> list[Path]:
    """The cgroup the signer's uid makes its sandboxes' cgroups in (root's are closed to it),
    or none when it runs as this process's uid. A signer without one refuses to sign RPMs,
    naming the cgroup it cannot create (its sandboxes must bound processes and memory)."""
    if not rt.separate_uid:
        return []
    from olivine.builds import cgroups
    from olivine.builds.host import instance_id

    try:
        return cgroups.delegate(f"{instance_id(data_dir)}-signer", rt.uid, rt.gid, cgroups.detect())
    except cgroups.CgroupUnavailable as e:
        log.warning("the signing worker gets no cgroup of its own, so it signs no RPM: %s", e)
        return []


@dataclass(frozen=True)
class ApiRuntime:
    uid: int
    gid: int
    separate_uid: bool
    reason: str = ""  # why the API keeps this process's uid


def prepare_api(data_dir: Path, port: int) -> ApiRuntime:
    """The API's uid under `olivine up`. As root it is the system user `olivine-api`, in the
    data group (the database, the object store, the forge) and nothing else: the KEK, owned by
    the signer's uid with mode 0600, gives it EACCES. A root API could read it (root reads any
    file), so root keeps the API only where a separate uid cannot work, and says so."""
    here = ApiRuntime(os.geteuid(), os.getegid(), False)
    if os.geteuid() != 0:
        return here
    if not reachable_by_others(data_dir):
        why = f"a directory above {data_dir} is closed to other uids"
    elif port < 1024:
        why = f"port {port} needs root to bind"
    else:
        user = _ensure_user(API_USER)
        _ensure_group(DATA_GROUP, API_USER)
        return ApiRuntime(user.pw_uid, user.pw_gid, True)
    log.warning("the API runs as root (%s): it could read the signer's KEK", why)
    return ApiRuntime(here.uid, here.gid, False, why)


def api_command(rt: ApiRuntime) -> list[str]:
    """The API server (olivine.apiserver) as its own uid."""
    return [*as_uid(rt.uid, rt.gid), sys.executable, "-m", "olivine.apiserver"]


def signer_env(rt: SignerRuntime, base: dict[str, str]) -> dict[str, str]:
    """The signer's environment: the KEK's *path* (never the key), its runtime directory."""
    env = {k: v for k, v in base.items() if k != "OLIVINE_SIGNING_KEK_FILE"}
    env["OLIVINE_SIGNING_KEK_FILE"] = str(rt.kek_file)
    env["OLIVINE_SIGNING_RUNTIME_DIR"] = str(rt.runtime_dir)
    if rt.separate_uid:
        env["HOME"] = str(rt.kek_file.parent)
        # its sandboxes' directories: its own, not the build workers' (root's, closed to it)
        env["OLIVINE_BUILD_WORKSPACE"] = str(rt.kek_file.parent / "work")
    return env


def _ensure_group(name: str, member: str) -> int:
    import grp

    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", name], check=True, capture_output=True)
        gid = grp.getgrnam(name).gr_gid
    subprocess.run(["usermod", "-a", "-G", name, member], check=True, capture_output=True)
    return gid


def grant_data_access(data_dir: Path, rt: SignerRuntime) -> None:
    """Let the signer's uid use the embedded database and object store of `olivine up`: the
    data directory's database files and objects/ join the group `olivine-data` (group-writable,
    setgid directories so new files stay in it); the supervisor runs its children with umask
    002. The KEK is not in there, and other uids than these get nothing. A farm gives the signer
    its own PostgreSQL and S3 credentials instead."""
    if not rt.separate_uid:
        return
    gid = _ensure_group(DATA_GROUP, SIGNER_USER)
    paths = [data_dir, *data_dir.glob("olivine.db*")]
    for shared in ("objects", "forge"):  # the API's uid (prepare_api) serves and writes these
        (data_dir / shared).mkdir(exist_ok=True)
        paths += [data_dir / shared, *(data_dir / shared).rglob("*")]
    for p in paths:
        if p.is_symlink():
            continue
        os.chown(p, -1, gid, follow_symlinks=False)
        p.chmod(p.stat().st_mode | (0o2070 if p.is_dir() else 0o060))
    key = data_dir / "secret-key"  # the API signs object links and sessions with it
    if key.exists():
        os.chown(key, -1, gid)
        key.chmod(0o640)
