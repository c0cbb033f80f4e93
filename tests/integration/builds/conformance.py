"""The conformance runner: fixture specs built through Olivine's build service (resolution off)
and with plain `rpmbuild --nodeps`, as ../shared/fixtures/SOURCES.md describes. Used by the slow
conformance test (a sample) and bench/build_conformance.py (every spec)."""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from olivine.builds.service import ArchRequest, SrpmRequest, build_arch, build_srpm
from olivine.projects.schema import ProjectFile

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"
DNF_SPECS = FIXTURES / "ci-dnf-stack" / "specs"
RPM_DATA = FIXTURES / "rpm-4.18" / "tests" / "data"


@dataclass(frozen=True)
class Case:
    spec: Path
    sources: Path | None
    targets: tuple[str, ...]  # --target values of the reference build ("" = none)
    defines: tuple[tuple[str, str], ...] = ()
    dist: str = ".fc29"

    @property
    def name(self) -> str:
        return f"{self.spec.parent.name}/{self.spec.name}"


@dataclass(frozen=True)
class Outcome:
    case: Case
    reference_ok: bool
    olivine_ok: bool
    reason: str | None


def _defines(opts_file: Path) -> tuple[tuple[str, str], ...]:
    if not opts_file.is_file():
        return ()
    words = shlex.split(opts_file.read_text())
    out = []
    for flag, value in itertools.pairwise(words):
        if flag in ("--define", "-D"):
            name, _, body = value.partition(" ")
            out.append((name, body))
    return tuple(out)


def dnf_stack_cases(every: int = 1) -> list[Case]:
    specs = sorted(DNF_SPECS.glob("*/*.spec"))[::every]
    return [
        Case(
            s,
            None,
            ("x86_64", "i686") if "i686" in s.name else ("x86_64",),
            _defines(s.with_name(s.name + ".rpmbuild_opts")),
        )
        for s in specs
    ]


def rpm_cases() -> list[Case]:
    return [
        Case(s, RPM_DATA / "SOURCES", ("",), dist="") for s in sorted(RPM_DATA.glob("SPECS/*.spec"))
    ]


def reference(case: Case, tmp: Path) -> bool:
    env = {**os.environ, "LC_ALL": "C"}
    for target in case.targets:
        top = tmp / f"ref-{target or 'default'}"
        cmd = [
            "rpmbuild",
            "-ba",
            "--nodeps",
            "--define",
            f"_topdir {top}",
            "--define",
            "_binary_payload w1.gzdio",
        ]
        if case.dist:
            cmd += ["--define", f"dist {case.dist}"]
        if case.sources:
            cmd += ["--define", f"_sourcedir {case.sources}"]
        if target:
            cmd += ["--target", target]
        for name, body in case.defines:
            cmd += ["--define", f"{name} {body}"]
        proc = subprocess.run([*cmd, str(case.spec)], capture_output=True, env=env, timeout=600)
        if proc.returncode != 0:
            return False
    return True


def _project(case: Case) -> ProjectFile:
    extra = {"_binary_payload": "w1.gzdio", **dict(case.defines)}
    return ProjectFile.model_validate(
        {
            "name": "conformance",
            "dist": case.dist,
            "arches": ["x86_64", "i686"],
            "vendor": {"family": "generic"},
            "macros": {"extra": extra},
            "buildroot": {"resolve": False},
        }
    )


def through_olivine(case: Case, tmp: Path) -> tuple[bool, str | None]:
    tree = tmp / "tree"
    (tree / "SPECS").mkdir(parents=True)
    shutil.copy2(case.spec, tree / "SPECS" / case.spec.name)
    if case.sources:
        shutil.copytree(case.sources, tree / "SOURCES")
    else:
        (tree / "SOURCES").mkdir()
    project = _project(case)
    name = case.spec.stem
    srpm = build_srpm(SrpmRequest(project, name, tree, tmp / "out"), lambda _: None)
    if not srpm.ok or srpm.srpm is None:
        return False, f"SRPM: {srpm.reason}"
    targets = ["noarch"] if srpm.noarch else [t or "x86_64" for t in case.targets]
    for arch in targets:
        res = build_arch(ArchRequest(project, name, srpm.srpm, arch, tmp / "out"), lambda _: None)
        if not res.ok:
            return False, f"{arch}: {res.reason}"
    return True, None


def run_case(case: Case) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="olivine-conf-") as t:
        tmp = Path(t)
        ref = reference(case, tmp / "ref")
        ok, reason = through_olivine(case, tmp / "olv")
        return Outcome(case, ref, ok, reason)


def run_cases(cases: Iterable[Case], workers: int = 2) -> list[Outcome]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run_case, cases))
