"""Build-root RPMs are unpacked in the sandbox after their digests verify: a payload that writes
through a symlink (Debian 12's cpio follows a link an earlier member made: `usr/x -> /target`,
then `usr/x/cron.d/p`) writes nothing outside the build root."""

from __future__ import annotations

from pathlib import Path

import pytest

from olivine.builds.buildroot import unpack_rpms
from olivine.builds.collect import UnsafeOutput

from .conftest import build, needs_root_sandbox

pytestmark = needs_root_sandbox


def _rpm(tmp: Path, name: str, install: str, files: str) -> Path:
    b = build(tmp / name, name, "true", install=install, files=files, header="BuildArch: noarch")
    assert b.arch.ok and len(b.arch.rpms) == 1, b.arch.reason
    return b.arch.rpms[0]


def test_a_payload_writing_through_a_symlink_stays_in_the_build_root(tmp_path: Path) -> None:
    target = tmp_path / "host-target"
    target.mkdir()
    link = _rpm(
        tmp_path,
        "linker",
        f"mkdir -p %{{buildroot}}/usr && ln -s {target} %{{buildroot}}/usr/x",
        "/usr/x",
    )
    writer = _rpm(
        tmp_path,
        "writer",
        "mkdir -p %{buildroot}/usr/x/cron.d && echo '* * * * * root id' > "
        "%{buildroot}/usr/x/cron.d/p",
        "/usr/x",
    )
    root = tmp_path / "root"
    try:
        usr = unpack_rpms([link, writer], root)
    except Exception as e:  # refusing is fine too: what matters is the host
        print("unpack refused:", e)
    else:
        assert usr == root / "usr"
    assert list(target.iterdir()) == [], "the payload wrote outside the build root"


def test_a_build_root_rpm_whose_digests_do_not_verify_is_not_unpacked(tmp_path: Path) -> None:
    good = _rpm(tmp_path, "plain", "mkdir -p %{buildroot}/usr/share/plain", "/usr/share/plain")
    bad = tmp_path / good.name
    data = bytearray(good.read_bytes())
    data[-64] ^= 0xFF  # a flipped bit in the payload
    bad.write_bytes(bytes(data))
    with pytest.raises(UnsafeOutput, match=f"build-root package {bad.name} is not a valid RPM"):
        unpack_rpms([bad], tmp_path / "root")
    assert not (tmp_path / "root" / "usr" / "share" / "plain").exists()
