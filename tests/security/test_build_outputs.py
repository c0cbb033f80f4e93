"""A build that plants things among its outputs for the worker to collect: a symlink named
x.rpm to /etc/shadow, a symlink chain, a directory symlink with an RPM-named file below it, a
FIFO named x.rpm, a file named x.rpm that is not an RPM. The worker collects none of it, does not
hang, and fails the build naming the file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .conftest import build, needs_root_sandbox

pytestmark = needs_root_sandbox

RPMS = "%{_topdir}/RPMS"
FILES = {"install": "mkdir -p %{buildroot}/usr/share/p", "files": "/usr/share/p"}


@pytest.fixture
def host_secret(tmp_path: Path) -> Path:
    """A host directory holding a secret under an RPM's name (what a link would reach)."""
    d = tmp_path / "host-secrets"
    d.mkdir()
    (d / "secret-1-1.x86_64.rpm").write_text("the admin token\n")
    os.chmod(d, 0o755)
    return d


ATTACKS = {
    "link-to-shadow": (
        f"mkdir -p {RPMS}/x86_64 && ln -s /etc/shadow {RPMS}/x86_64/x.rpm",
        "RPMS/x86_64/x.rpm is a symbolic link",
    ),
    "relative-chain": (
        f"mkdir -p {RPMS}/x86_64 && cd {RPMS}/x86_64 && ln -s b.rpm a.rpm && ln -s c c.rpm.x && "
        "ln -s ../../../../../../../../../etc/shadow c && ln -s c b.rpm",
        "RPMS/x86_64/a.rpm is a symbolic link",
    ),
    "directory-link": (
        f"ln -s HOST {RPMS}/evil",
        "RPMS/evil is not a directory (a link?)",
    ),
    "link-below-directory-link": (
        f"mkdir -p /build/d && ln -s HOST/secret-1-1.x86_64.rpm /build/d/s.rpm && "
        f"ln -s /build/d {RPMS}/x86_64",
        "RPMS/x86_64 is not a directory (a link?)",
    ),
    "fifo": (
        f"mkdir -p {RPMS}/x86_64 && mkfifo {RPMS}/x86_64/x.rpm",
        "RPMS/x86_64/x.rpm is a FIFO",
    ),
    "not-an-rpm": (
        f"mkdir -p {RPMS}/x86_64 && echo hello > {RPMS}/x86_64/x-1-1.x86_64.rpm",
        "RPMS/x86_64/x-1-1.x86_64.rpm is not a valid RPM",
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_planted_outputs_are_refused_naming_the_file(
    tmp_path: Path, host_secret: Path, attack: str
) -> None:
    script, reason = ATTACKS[attack]
    t = time.monotonic()
    b = build(tmp_path, "plant", script.replace("HOST", str(host_secret)), **FILES)
    assert time.monotonic() - t < 120  # a FIFO does not hang the worker
    assert not b.arch.ok and not b.arch.rpms
    assert b.arch.reason is not None and reason in b.arch.reason, b.arch.reason
    collected = list((tmp_path / "out").rglob("*"))
    for f in collected:
        if f.is_file():
            data = f.read_bytes()
            assert b"the admin token" not in data and b"root:" not in data, f
