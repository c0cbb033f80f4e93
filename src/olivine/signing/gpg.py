"""gpg, run as a subprocess with a throwaway GNUPGHOME (TOOLCHAIN.md "Signing").

No library does OpenPGP key generation and RPM-compatible signing for us here (python-gnupg is
a thin wrapper around the same command lines and hides their error output), so the few gpg calls
are written out. Every home is a fresh 0700 directory: on a private tmpfs mount when this process
is root (nothing of the key ever reaches a disk), else a plain directory under a 0700 runtime
directory of the signer's uid. Its gpg-agent is killed when the home is closed (agents outlive
their callers here: PID 1 reaps nothing).

Error messages never carry gpg's input; they carry gpg's stderr with anything that looks like key
material cut out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import ServiceFailure

GPG = "/usr/bin/gpg"
GPGCONF = "/usr/bin/gpgconf"
_BATCH = ["--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""]


def default_runtime_dir() -> Path:
    """Where per-job homes go when no runtime directory is configured."""
    return Path(tempfile.gettempdir()) / f"olivine-signer-{os.geteuid()}"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.lstat()
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise ServiceFailure(f"signer runtime directory {path} must be 0700 and owned by this uid")
    return path


def _mount_tmpfs(path: Path) -> bool:
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "mode=0700,size=32m,nodev,nosuid,noexec", "tmpfs", path],
        capture_output=True,
    )
    return done.returncode == 0


def _clean(text: str) -> str:
    lines = [ln for ln in text.splitlines() if "PRIVATE KEY" not in ln and "PGP" not in ln]
    return " ".join(ln.strip() for ln in lines[-4:])[:500]


@dataclass
class GpgHome:
    """One GNUPGHOME for one job. `tmpfs` says whether it is a private tmpfs mount."""

    path: Path
    tmpfs: bool

    def run(
        self, args: Sequence[str], data: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        env = {"PATH": "/usr/bin:/bin", "GNUPGHOME": str(self.path), "LC_ALL": "C"}
        done = subprocess.run(
            [GPG, "--homedir", str(self.path), *_BATCH, *args],
            input=data,
            capture_output=True,
            env=env,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise ServiceFailure(
                f"gpg {args[0]} failed: {_clean(done.stderr.decode(errors='replace'))}"
            )
        return done

    def kill_agent(self) -> None:
        subprocess.run(
            [GPGCONF, "--homedir", str(self.path), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=30,
        )


@contextlib.contextmanager
def gpg_home(runtime_dir: Path | None = None) -> Iterator[GpgHome]:
    """A fresh 0700 GNUPGHOME, removed (and its agent killed) on exit."""
    base = _private_dir(runtime_dir or default_runtime_dir())
    path = Path(tempfile.mkdtemp(prefix="h", dir=base))
    home = GpgHome(path, _mount_tmpfs(path))
    try:
        yield home
    finally:
        home.kill_agent()
        if home.tmpfs:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)
        shutil.rmtree(path, ignore_errors=True)
