"""The output collector walks by directory descriptors and never follows a link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from olivine.builds.collect import UnsafeOutput, collect_rpms, read_text

FIXTURE = (
    Path(__file__).resolve().parents[3].parent
    / "shared/fixtures/createrepo_c/tests/testdata/packages/Rimmer-1.0.2-2.x86_64.rpm"
)
needs_fixture = pytest.mark.skipif(not FIXTURE.exists(), reason="shared fixtures missing")


def _tree(tmp: Path) -> Path:
    (tmp / "b" / "RPMS" / "x86_64").mkdir(parents=True)
    return tmp / "b"


@needs_fixture
def test_a_real_rpm_is_copied_out_and_verified(tmp_path: Path) -> None:
    b = _tree(tmp_path)
    shutil.copy(FIXTURE, b / "RPMS" / "x86_64" / FIXTURE.name)
    got = collect_rpms(b, "RPMS", 2, tmp_path / "out", source=False)
    assert [p.name for p in got] == [FIXTURE.name]
    assert got[0].read_bytes() == FIXTURE.read_bytes()


@needs_fixture
def test_an_rpm_under_another_name_is_refused(tmp_path: Path) -> None:
    b = _tree(tmp_path)
    shutil.copy(FIXTURE, b / "RPMS" / "x86_64" / "kernel-9-9.x86_64.rpm")
    with pytest.raises(UnsafeOutput, match=r"holds Rimmer-1\.0\.2-2\.x86_64\.rpm"):
        collect_rpms(b, "RPMS", 2, tmp_path / "out", source=False)


@needs_fixture
def test_a_binary_rpm_is_not_an_srpm(tmp_path: Path) -> None:
    (tmp_path / "b" / "SRPMS").mkdir(parents=True)
    shutil.copy(FIXTURE, tmp_path / "b" / "SRPMS" / "Rimmer-1.0.2-2.src.rpm")
    with pytest.raises(UnsafeOutput, match="is not a source RPM"):
        collect_rpms(tmp_path / "b", "SRPMS", 1, tmp_path / "out", source=True)


def test_links_fifos_and_dir_links_are_refused(tmp_path: Path) -> None:
    cases = {
        "link": lambda d: os.symlink("/etc/passwd", d / "RPMS" / "x86_64" / "x.rpm"),
        "fifo": lambda d: os.mkfifo(d / "RPMS" / "x86_64" / "x.rpm"),
        "dirlink": lambda d: os.symlink("/etc", d / "RPMS" / "etc"),
        "toplink": lambda d: (shutil.rmtree(d / "RPMS"), os.symlink("/etc", d / "RPMS")),
    }
    expect = {
        "link": "RPMS/x86_64/x.rpm is a symbolic link",
        "fifo": "RPMS/x86_64/x.rpm is a FIFO",
        "dirlink": "RPMS/etc is not a directory",
        "toplink": "RPMS is not a directory",
    }
    for name, plant in cases.items():
        b = _tree(tmp_path / name)
        plant(b)
        with pytest.raises(UnsafeOutput, match=expect[name]):
            collect_rpms(b, "RPMS", 2, tmp_path / name / "out", source=False)
        assert not list((tmp_path / name / "out").iterdir())


def test_read_text_refuses_a_link_and_reads_a_file(tmp_path: Path) -> None:
    (tmp_path / "provides.txt").write_text("a\nb\n")
    assert read_text(tmp_path, "provides.txt") == "a\nb\n"
    assert read_text(tmp_path, "missing.txt") is None
    os.symlink("/etc/passwd", tmp_path / "evil.txt")
    with pytest.raises(UnsafeOutput, match=r"evil\.txt is a symbolic link"):
        read_text(tmp_path, "evil.txt")
