"""Arch builds of small specs: failures with their one-line reasons, arch planning from the SRPM,
i686, cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from olivine.builds.jobs import ArchStepResult
from olivine.builds.rpminfo import rpm_info
from olivine.builds.service import ArchResult
from olivine.builds.steps import kept_rpms

from .conftest import Builder, Log, project, spec, write_spec

SCRIPT_PKG = """%install
mkdir -p %{buildroot}%{_bindir}
printf '#!/bin/sh\\necho hi\\n' > %{buildroot}%{_bindir}/hi
chmod 755 %{buildroot}%{_bindir}/hi"""


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path, project(arches=["x86_64", "aarch64", "i686"]))


def test_failing_build_reason_names_the_log_line(builder: Builder, tmp_path: Path) -> None:
    tree = write_spec(
        tmp_path / "src",
        "broken",
        spec(
            "broken",
            header="BuildRequires: gcc\nSource0: bad.c",
            sections="%build\ncp %{SOURCE0} .\ngcc -c bad.c\n\n%install\n",
            files="",
        ),
        {"bad.c": "int main(void) { return 0 }\n"},
    )
    srpm, _ = builder.srpm(tree)
    res, log = builder.arch(srpm)
    assert not res.ok and not res.rpms
    assert res.reason is not None
    assert res.reason.startswith("%build failed at line ")
    n = int(res.reason.split("line ")[1].split(" ")[0])
    logged = [line for line in log.lines if not line.startswith(("$ ", "Build root", "  "))]
    assert "error" in logged[n - 1] or "error" in res.reason
    assert "bad.c" in res.reason


def test_unresolvable_build_requires_lists_every_missing_name(
    builder: Builder, tmp_path: Path
) -> None:
    tree = write_spec(
        tmp_path / "src",
        "needy",
        spec(
            "needy",
            header="BuildRequires: gcc\nBuildRequires: no-such-devel >= 2\nBuildRequires: nope",
        ),
    )
    srpm, _ = builder.srpm(tree)
    res, _ = builder.arch(srpm)
    assert res.reason == "missing BuildRequires no-such-devel >= 2, nope"


def test_resolution_off_skips_build_requires(tmp_path: Path) -> None:
    b = Builder(tmp_path, project(buildroot={"resolve": False}))
    tree = write_spec(
        tmp_path / "src",
        "needy",
        spec(
            "needy",
            header="BuildRequires: nope\nBuildArch: noarch",
            sections=SCRIPT_PKG,
            files="%{_bindir}/hi",
        ),
    )
    srpm, _ = b.srpm(tree)
    res, _ = b.arch(srpm, arch="noarch")
    assert res.ok, res.reason
    assert res.buildroot == ({"kind": "unresolved", "reason": "buildroot.resolve is false"},)


def test_exclusive_arch_limits_arches(builder: Builder, tmp_path: Path) -> None:
    tree = write_spec(
        tmp_path / "src", "only64", spec("only64", header="ExclusiveArch: x86_64 aarch64")
    )
    srpm, _ = builder.srpm(tree)
    assert srpm.ok and srpm.arches == ("x86_64", "aarch64")
    assert "ExclusiveArch" in srpm.excluded["i686"]
    tree = write_spec(tmp_path / "src", "zonly", spec("zonly", header="ExclusiveArch: s390x"))
    srpm, _ = builder.srpm(tree)
    assert srpm.reason is not None and "builds for none" in srpm.reason
    tree = write_spec(tmp_path / "src", "noi686", spec("noi686", header="ExcludeArch: %{ix86}"))
    srpm, _ = builder.srpm(tree)
    assert srpm.arches == ("x86_64", "aarch64")


def test_i686_build_without_multilib_gcc_packages_an_i686_rpm(
    builder: Builder, tmp_path: Path
) -> None:
    # gcc -m32 has no 32-bit libc on this host, so the i686 build here packages a script: it
    # exercises --target i686 and the arch of the result, not 32-bit compilation.
    tree = write_spec(
        tmp_path / "src", "hi", spec("hi", sections=SCRIPT_PKG, files="%{_bindir}/hi")
    )
    srpm, _ = builder.srpm(tree)
    assert srpm.arches == ("x86_64", "aarch64", "i686")
    res, _ = builder.arch(srpm, arch="i686")
    assert res.ok, res.reason
    assert [rpm_info(p).arch for p in res.rpms] == ["i686"]
    assert res.rpms[0].name == "hi-1.0-1.el9.i686.rpm"


def test_noarch_subpackage_kept_once_from_the_first_arch(builder: Builder, tmp_path: Path) -> None:
    body = spec(
        "mixed",
        header="%package common\nSummary: common\nBuildArch: noarch\n"
        "%description common\ncommon files",
        sections=SCRIPT_PKG + "\nmkdir -p %{buildroot}%{_datadir}/mixed\n"
        "touch %{buildroot}%{_datadir}/mixed/data",
        files="%{_bindir}/hi\n\n%files common\n%{_datadir}/mixed/data",
    )
    srpm, _ = builder.srpm(write_spec(tmp_path / "src", "mixed", body))
    results: list[ArchResult] = []
    for arch in ("x86_64", "i686"):
        res, _ = builder.arch(srpm, arch=arch, workdir=tmp_path / f"w-{arch}")
        assert res.ok, res.reason
        results.append(res)
    assert sum(p.name.endswith(".noarch.rpm") for r in results for p in r.rpms) == 2
    steps = [
        ArchStepResult(r.arch, [{"name": p.name, "sha256": p.name} for p in r.rpms])
        for r in results
    ]
    assert sorted(r["name"] for r in kept_rpms(steps)) == [
        "mixed-1.0-1.el9.i686.rpm",
        "mixed-1.0-1.el9.x86_64.rpm",
        "mixed-common-1.0-1.el9.noarch.rpm",
    ]


def test_cancel_during_build_stops_rpmbuild(builder: Builder, tmp_path: Path) -> None:
    tree = write_spec(
        tmp_path / "src",
        "slow",
        spec("slow", sections="%build\necho building\nsleep 600\n\n%install\n"),
    )
    srpm, _ = builder.srpm(tree)
    log = Log()
    res, _ = builder.arch(srpm, cancelled=lambda: "building" in log.lines, log=log)
    assert res.reason == "cancelled"
    assert res.duration < 30
    assert not any(b"sleep\x00600" in _cmdline(p) for p in Path("/proc").iterdir())


def _cmdline(p: Path) -> bytes:
    try:
        return (p / "cmdline").read_bytes()
    except OSError:
        return b""
