"""Real builds: rpmbuild in bubblewrap, createrepo_c repos, libsolv resolution."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from olivine.builds.resolve import RepoSource
from olivine.builds.service import (
    ArchRequest,
    ArchResult,
    SrpmRequest,
    SrpmResult,
    build_arch,
    build_srpm,
)
from olivine.projects.schema import ProjectFile

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "packages"

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")


def project(**kw: object) -> ProjectFile:
    base: dict[str, object] = {
        "name": "demo",
        "dist": ".el9",
        "arches": ["x86_64"],
        "upstream": {"url": "file:///srv/{name}.git"},
        "macros": {"vendor": "Olivine", "packager": "Olivine <build@example.org>"},
        "buildroot": {"host_provides": ["gcc", "make", "glibc-devel"]},
    }
    base.update(kw)
    return ProjectFile.model_validate(base)


def make_repo(path: Path, rpms: list[Path]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for r in rpms:
        shutil.copy2(r, path / r.name)
    subprocess.run(["createrepo_c", "--no-database", "-q", str(path)], check=True)
    return path


@dataclass
class Log:
    lines: list[str] = field(default_factory=list)

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Builder:
    tmp: Path
    proj: ProjectFile

    def srpm(self, source: Path, package: str | None = None) -> tuple[SrpmResult, Log]:
        log = Log()
        name = package or source.name
        req = SrpmRequest(self.proj, name, source, self.tmp / "out" / name)
        return build_srpm(req, log), log

    def arch(
        self,
        srpm: SrpmResult,
        arch: str = "x86_64",
        repos: tuple[RepoSource, ...] = (),
        cancelled: Callable[[], bool] | None = None,
        log: Log | None = None,
        **kw: object,
    ) -> tuple[ArchResult, Log]:
        assert srpm.srpm is not None and srpm.info is not None, srpm.reason
        log = log or Log()
        req = ArchRequest(
            self.proj,
            srpm.info.name,
            srpm.srpm,
            arch,
            self.tmp / "out" / srpm.info.name,
            repos,
            **kw,  # type: ignore[arg-type]
        )
        return build_arch(req, log, cancelled), log


def write_spec(root: Path, name: str, body: str, sources: dict[str, str] | None = None) -> Path:
    tree = root / name
    (tree / "SPECS").mkdir(parents=True, exist_ok=True)
    (tree / "SOURCES").mkdir(exist_ok=True)
    (tree / "SPECS" / f"{name}.spec").write_text(body)
    for fname, text in (sources or {}).items():
        (tree / "SOURCES" / fname).write_text(text)
    return tree


def spec(name: str, *, header: str = "", sections: str = "", files: str = "") -> str:
    """A minimal spec; header lines go after the preamble."""
    return f"""Name: {name}
Version: 1.0
Release: 1%{{?dist}}
Summary: test package {name}
License: MIT
{header}
%description
Test package {name}.

%prep
%setup -q -c -T

{sections}

%files
{files}
"""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The example packages built in order: libgreet, its repo, then greet against it."""
    tmp = tmp_path_factory.mktemp("demo")
    b = Builder(tmp, project())
    srpms = {n: b.srpm(EXAMPLES / n)[0] for n in ("libgreet", "greet", "greet-doc")}
    lib, lib_log = b.arch(srpms["libgreet"])
    assert lib.ok, lib.reason
    all_repo = make_repo(tmp / "repos" / "all", list(lib.rpms))
    repos = (RepoSource("all", all_repo, project=True),)
    prog, prog_log = b.arch(srpms["greet"], repos=repos)
    return {
        "builder": b,
        "srpms": srpms,
        "lib": lib,
        "lib_log": lib_log,
        "prog": prog,
        "prog_log": prog_log,
        "repos": repos,
        "tmp": tmp,
    }
