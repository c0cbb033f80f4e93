"""The SRPM and one arch build in one sandbox run (builds/whole.py): the same SRPM and RPMs as
the two steps make, and what happens when the SRPM made says something else than the import."""

from __future__ import annotations

from pathlib import Path

from olivine.builds.resolve import RepoSource
from olivine.builds.rpminfo import rpm_info, srpm_info
from olivine.builds.whole import WholeRequest, WholeResult, build_whole

from .conftest import Builder, Log, make_repo, project, spec, write_spec

TOOL = """%install
mkdir -p %{buildroot}%{_bindir}
printf '#!/bin/sh\\necho hi\\n' > %{buildroot}%{_bindir}/hi
chmod 755 %{buildroot}%{_bindir}/hi"""


def _whole(
    b: Builder,
    tree: Path,
    build_requires: tuple[str, ...] = (),
    arch: str = "x86_64",
    repos: tuple[RepoSource, ...] = (),
) -> tuple[WholeResult, Log]:
    log = Log()
    out = b.tmp / "whole" / tree.name
    req = WholeRequest(b.proj, tree.name, tree, arch, build_requires, out, repos)
    return build_whole(req, log), log


def _dep_repo(b: Builder, tmp: Path) -> tuple[RepoSource, ...]:
    """A repo holding `dep` (providing `dep-tool`), built the two-step way."""
    tree = write_spec(tmp / "src", "dep", spec("dep", header="Provides: dep-tool", sections=TOOL,
                                                files="%{_bindir}/hi"))  # fmt: skip
    srpm, _ = b.srpm(tree)
    res, _ = b.arch(srpm)
    assert res.ok, res.reason
    return (RepoSource("all", make_repo(tmp / "repo", list(res.rpms)), project=True),)


def test_one_run_makes_the_srpm_and_rpms_the_two_steps_make(tmp_path: Path) -> None:
    b = Builder(tmp_path, project())
    repos = _dep_repo(b, tmp_path)
    body = spec("app", header="BuildRequires: dep-tool", sections=TOOL, files="%{_bindir}/hi")
    tree = write_spec(tmp_path / "src", "app", body)
    res, log = _whole(b, tree, ("dep-tool",), repos=repos)
    assert res.arch.ok and res.srpm.ok, (res.arch.reason, log.text[-2000:])
    assert res.srpm.srpm is not None and res.srpm.arches == ("x86_64",)
    assert srpm_info(res.srpm.srpm).build_requires == ("dep-tool",)
    assert [e["nevra"] for e in res.arch.buildroot if e["kind"] == "rpm"] == [
        "dep-1.0-1.el9.x86_64"
    ]
    assert any(line.startswith("$ rpmbuild -ba --target x86_64") for line in log.lines)
    assert "built again" not in log.text

    two_srpm, _ = b.srpm(tree)
    two, _ = b.arch(two_srpm, repos=repos)
    assert two_srpm.srpm is not None
    assert res.srpm.srpm.name == two_srpm.srpm.name == "app-1.0-1.el9.src.rpm"
    assert sorted(p.name for p in res.arch.rpms) == sorted(p.name for p in two.rpms)
    made = rpm_info(next(p for p in res.arch.rpms if p.name.startswith("app-1.0")))
    assert made.sourcerpm == "app-1.0-1.el9.src.rpm"


def test_buildrequires_other_than_the_imports_build_again_from_the_srpm(tmp_path: Path) -> None:
    b = Builder(tmp_path, project())
    repos = _dep_repo(b, tmp_path)
    body = spec("app", header="BuildRequires: dep-tool", sections=TOOL, files="%{_bindir}/hi")
    tree = write_spec(tmp_path / "src", "app", body)
    res, log = _whole(b, tree, (), repos=repos)  # the import said: no BuildRequires
    assert res.arch.ok, res.arch.reason
    assert "its SRPM's BuildRequires differ from its import's: built again from the SRPM" in (
        log.lines
    )
    assert [e["nevra"] for e in res.arch.buildroot if e["kind"] == "rpm"] == [
        "dep-1.0-1.el9.x86_64"
    ]
    assert [line for line in log.lines if line.startswith("$ rpmbuild")][-1].startswith(
        "$ rpmbuild --rebuild --target x86_64"
    )


def test_arches_other_than_the_imports_fail_the_build_naming_both(tmp_path: Path) -> None:
    b = Builder(tmp_path, project())
    body = spec("tool", header="BuildArch: noarch", sections=TOOL, files="%{_bindir}/hi")
    res, _ = _whole(b, write_spec(tmp_path / "src", "tool", body))  # planned x86_64
    assert res.srpm.srpm is not None and res.arch.rpms == ()
    assert res.arch.reason == (
        "its SRPM plans the arches noarch, its import planned x86_64: build it on its own"
    )


def test_a_noarch_build_in_one_run(tmp_path: Path) -> None:
    b = Builder(tmp_path, project())
    body = spec("tool", header="BuildArch: noarch", sections=TOOL, files="%{_bindir}/hi")
    res, _ = _whole(b, write_spec(tmp_path / "src", "tool", body), arch="noarch")
    assert res.arch.ok, res.arch.reason
    assert res.srpm.noarch and [p.name for p in res.arch.rpms] == ["tool-1.0-1.el9.noarch.rpm"]


def test_failures_give_the_build_reason_and_no_srpm(tmp_path: Path) -> None:
    b = Builder(tmp_path, project())
    body = spec("broken", sections="%build\nexit 3\n")
    res, _ = _whole(b, write_spec(tmp_path / "src", "broken", body))
    assert res.srpm.srpm is None and not res.arch.ok
    assert res.arch.reason is not None and res.arch.reason.startswith("%build failed")
    res, log = _whole(b, write_spec(tmp_path / "src", "needy", spec("needy")), ("nope",))
    assert res.arch.reason == res.srpm.reason == "missing BuildRequires nope"
    assert not any(line.startswith("$ rpmbuild") for line in log.lines)  # nothing was built


def test_a_build_root_beyond_the_builds_disk_cap_fails_the_build_naming_it(
    tmp_path: Path,
) -> None:
    """The build's own disk cap (its project's `limits.disk`) bounds its unpacked build root
    too, in both ways of building."""
    from olivine.builds.interfaces import Limits
    from olivine.builds.service import ArchRequest, build_arch
    from olivine.builds.volume import DiskCap

    b = Builder(tmp_path, project())
    big = "%install\nmkdir -p %{buildroot}%{_datadir}/big\n"
    big += "head -c 3000000 /dev/urandom > %{buildroot}%{_datadir}/big/blob"
    body = spec("big", header="Provides: big-data", sections=big, files="%{_datadir}/big")
    tree = write_spec(tmp_path / "src", "big", body)
    srpm, _ = b.srpm(tree)
    made, _ = b.arch(srpm)
    assert made.ok, made.reason
    repos = (RepoSource("all", make_repo(tmp_path / "repo", list(made.rpms)), project=True),)
    app = write_spec(tmp_path / "src", "app", spec("app", header="BuildRequires: big-data"))
    small = Limits(disk=DiskCap(size_mb=2, inodes=10_000))
    log = Log()
    req = WholeRequest(b.proj, "app", app, "x86_64", ("big-data",), tmp_path / "w", repos, small)
    res = build_whole(req, log)
    assert res.arch.reason is not None and "disk cap" in res.arch.reason, res.arch.reason
    assert "big-1.0-1.el9.x86_64.rpm" in res.arch.reason
    two, _ = b.srpm(app)
    assert two.srpm is not None
    arch = build_arch(ArchRequest(b.proj, "app", two.srpm, "x86_64", tmp_path / "a", repos, small),
                      Log())  # fmt: skip
    assert arch.reason == res.arch.reason
