"""A package's SRPM and its one arch build in a single sandbox run, as `rpmbuild -ba --target
ARCH` makes them from the forge checkout (the reference's way), instead of an SRPM step and an
arch step with a sandbox, a build volume, an rpmbuild start and an activity each.

Only where the arches and the build root are known before the SRPM exists: a batch's build
whose import's spec facts (read in the sandbox with the macros this build uses) plan exactly
one arch (olivine.builds.steps.one_sandbox_arch). The build root is resolved from the import's
BuildRequires; the SRPM made is then checked against both facts:
- its arches plan otherwise (a spec whose arch tags change between two parses): the build
  fails and says so; built on its own (`olivine build`) it takes the SRPM's plan;
- its BuildRequires differ: its arch build runs again from that SRPM, in the build root the
  SRPM's own BuildRequires resolve to (build_arch), so no RPM is kept that was built in a build
  root its SRPM does not name.
The SRPM is made with the build root in place (rpmbuild -bs runs without one): macros that
build-root packages define can change what its header says, as they do in the RPMs."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from olivine.builds.backends.rpmbuild import RpmbuildBackend
from olivine.builds.interfaces import CancelFn, Limits, LogFn
from olivine.builds.macros import project_macros
from olivine.builds.resolve import RepoSource, UnresolvableBuildRequires
from olivine.builds.service import (
    ArchRequest,
    ArchResult,
    SrpmResult,
    build_arch,
    build_workdir,
    find_spec,
    keep_rpms,
    plan_srpm,
    prepare_root,
)
from olivine.errors import IntegrityFailure
from olivine.projects.schema import ProjectFile


@dataclass(frozen=True)
class WholeRequest:
    project: ProjectFile
    package: str
    source_dir: Path  # the forge checkout
    arch: str  # the one arch the import's facts plan (or noarch)
    build_requires: tuple[str, ...]  # as the import read them
    out_dir: Path
    repos: tuple[RepoSource, ...] = ()
    limits: Limits = field(default_factory=Limits)
    workdir: Path | None = None


@dataclass(frozen=True)
class WholeResult:
    srpm: SrpmResult  # srpm None: no SRPM was made (reason says why)
    arch: ArchResult


def build_whole(req: WholeRequest, log: LogFn, cancelled: CancelFn | None = None) -> WholeResult:
    spec, sources = find_spec(req.source_dir, req.package)
    work, temporary = build_workdir(req.workdir)
    try:
        where = spec.relative_to(req.source_dir)
        log(f"SRPM and {req.arch} RPMs of {req.package} from {where}, in one sandbox run")
        try:
            record, usr = prepare_root(
                req.project, req.build_requires, req.repos, req.arch, work, log, req.limits.disk
            )
        except (UnresolvableBuildRequires, IntegrityFailure) as e:  # the build root
            log(e.message)
            return _failed(req.arch, e.message)
        macros = project_macros(req.project, req.package)
        res = RpmbuildBackend().build_whole(
            spec, sources, req.arch, work, macros, usr, log, cancelled, req.limits
        )
        if not res.ok:
            return WholeResult(
                SrpmResult(None, None, reason=res.reason),
                ArchResult(req.arch, (), record.entries, res.reason, res.duration),
            )
        req.out_dir.mkdir(parents=True, exist_ok=True)
        srpm = Path(shutil.copy2(res.outputs[0], req.out_dir / res.outputs[0].name))
        planned = plan_srpm(req.project, req.package, srpm, log, res)
        if not planned.ok:
            return WholeResult(planned, ArchResult(req.arch, reason=planned.reason))
        if tuple(planned.arches) != (req.arch,):
            why = (
                f"its SRPM plans the arches {', '.join(planned.arches)}, its import planned "
                f"{req.arch}: build it on its own"
            )
            return WholeResult(planned, ArchResult(req.arch, reason=why))
        assert planned.info is not None
        if _differ(planned.info.build_requires, req.build_requires):
            log("its SRPM's BuildRequires differ from its import's: built again from the SRPM")
            again = ArchRequest(
                req.project, req.package, srpm, req.arch, req.out_dir, req.repos, req.limits
            )
            return WholeResult(planned, build_arch(again, log, cancelled))
        rpms = keep_rpms(res.outputs[1:], req.out_dir / req.arch)
        return WholeResult(planned, ArchResult(req.arch, rpms, record.entries, None, res.duration))
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


def _failed(arch: str, reason: str) -> WholeResult:
    return WholeResult(SrpmResult(None, None, reason=reason), ArchResult(arch, reason=reason))


def _differ(made: Sequence[str], assumed: Sequence[str]) -> bool:
    return sorted(set(made)) != sorted(set(assumed))
