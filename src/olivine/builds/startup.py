"""What a worker that runs builds checks and cleans when it starts (src/olivine/worker.py).

- It refuses to start when its data directory, its config file, its SQLite database or its
  build workspace lies under a path every sandbox binds (/usr, the /bin /lib /lib64 /sbin links,
  the /etc files the sandbox shows): a checkout under /usr/local would put ./.olivine, with its
  admin token and keys, in every build.
- It removes what a dead worker of the same instance left: build directories (their volumes
  unmounted first) and build cgroups with any process still in them.
- It makes the build users and checks that the pids and memory limits can be applied, and says
  so when they cannot: its builds are then refused with that reason (SandboxUnavailable)."""

from __future__ import annotations

import os
from pathlib import Path

from olivine.builds import cgroups, host
from olivine.builds.cgroups import Resources
from olivine.builds.sandbox import bound_host_paths
from olivine.builds.users import SandboxUnavailable, ensure_users
from olivine.config import Settings
from olivine.errors import ConfigError


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return None


def private_paths(settings: Settings) -> dict[str, Path]:
    """What of Olivine's must never be visible in a sandbox, by what it is."""
    out = {"data directory": settings.data_dir}
    if os.environ.get("OLIVINE_CONFIG"):
        out["config file (OLIVINE_CONFIG)"] = Path(os.environ["OLIVINE_CONFIG"])
    db = _sqlite_path(settings.db_url)
    if db is not None:
        out["SQLite database"] = db
    if settings.build_workspace is not None:
        out["build workspace"] = settings.build_workspace
    if settings.signing_kek_file is not None:  # the signer runs sandboxes too
        out["signing KEK (OLIVINE_SIGNING_KEK_FILE)"] = settings.signing_kek_file
    if settings.signing_runtime_dir is not None:
        out["signing runtime directory"] = settings.signing_runtime_dir
    return out


def check_not_bound(settings: Settings, bound: list[Path] | None = None) -> None:
    """ConfigError when a private path lies under a path the sandbox binds."""
    bound = bound if bound is not None else bound_host_paths()
    for what, path in private_paths(settings).items():
        real = path.resolve()
        for b in bound:
            if real == b or real.is_relative_to(b):
                raise ConfigError(
                    f"the {what} {real} lies under {b}, which every build sandbox can read: "
                    "move it out of /usr, /bin, /lib*, /sbin and the /etc files builds see"
                )


def check_workspace(settings: Settings) -> None:
    """The build workspace must be reachable by the build users: not in the (0700) data
    directory, whose secrets they must never reach either."""
    ws = settings.build_workspace
    if ws is not None and ws.resolve().is_relative_to(settings.data_dir.resolve()):
        raise ConfigError(
            f"OLIVINE_BUILD_WORKSPACE {ws} lies in the data directory: builds must not reach "
            "it; choose a directory outside it"
        )


def probe_sandbox(bh: host.BuildHost) -> None:
    """Raise SandboxUnavailable when builds cannot be contained on this host."""
    if os.geteuid() == 0:
        ensure_users(bh.config.slots)
    cg = cgroups.create(
        bh.instance, bh.cgroup_name("probe" + bh.worker_id), Resources(), bh.hierarchy()
    )
    cg.remove()


def prepare_worker(settings: Settings) -> list[str]:
    """Check, clean and configure the build host of this worker; returns what to log."""
    check_not_bound(settings)
    check_workspace(settings)
    bh = host.configure(host.config_from_settings(settings))
    notes = [f"build workspace {bh.worker_dir}"]
    notes += [f"removed leftover {what}" for what in bh.clean_leftovers()]
    try:
        probe_sandbox(bh)
    except SandboxUnavailable as e:
        notes.append(f"error: builds on this worker will be refused: {e.message}")
    return notes
