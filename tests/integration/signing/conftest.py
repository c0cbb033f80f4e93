"""Signed repos served over HTTP to Debian's dnf with gpgcheck=1 and repo_gpgcheck=1."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.repos.conftest import make_rpm, served  # noqa: F401 - fixtures
from tests.unit.signing.conftest import kek, keystore, other_key, rsa_key, rsa_key2  # noqa: F401


@dataclass
class GpgDnf:
    """dnf checking package signatures and repomd.xml.asc against the served RPM-GPG-KEY."""

    root: Path
    home: Path

    def __call__(
        self, repo_url: str, *args: str, check: bool = True, gpgkey: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            "dnf",
            "-y",
            f"--installroot={self.root}",
            "--releasever=9",
            "--setopt=reposdir=/dev/null",
            "--setopt=skip_if_unavailable=False",
            f"--repofrompath=r,{repo_url}",
            "--setopt=r.gpgcheck=1",
            "--setopt=r.repo_gpgcheck=1",
            f"--setopt=r.gpgkey={gpgkey or repo_url + 'RPM-GPG-KEY'}",
            "--setopt=r.metadata_expire=0",
            *args,
        ]
        env = {**os.environ, "HOME": str(self.home), "LC_ALL": "C"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"dnf {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture
def gdnf(tmp_path: Path) -> GpgDnf:
    home, root = tmp_path / "home", tmp_path / "root"
    home.mkdir()
    root.mkdir()
    (home / ".rpmmacros").write_text("%_dbpath /var/lib/rpm\n")
    return GpgDnf(root, home)


def installed(root: Path) -> list[str]:
    out = subprocess.run(
        ["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NVR}\n"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(out.stdout.split())
