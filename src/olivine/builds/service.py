"""The build service: activity-sized steps the workflows call.

- build_srpm: a checked-out source tree (SPECS/ + SOURCES/, or a flat tree) plus lookaside files
  -> an SRPM and the arches to build.
- build_arch: an SRPM and one arch -> binary RPM paths and the build-root record, or a one-line
  reason.
- submit_build / submit_build_batch: the build job kinds' submit() (olivine.builds.submit).
Results are files on local disk; storing and publishing them is the repos component's job.
(Which RPMs a build keeps is olivine.builds.steps.kept_rpms; a batch's order is
olivine.domain.scheduling.plan_batch.)"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from olivine.builds import host
from olivine.builds.backends.rpmbuild import RpmbuildBackend
from olivine.builds.buildroot import unpack_rpms
from olivine.builds.interfaces import Backend, CancelFn, Limits, LogFn, StageResult
from olivine.builds.macros import project_macros
from olivine.builds.resolve import (
    BuildRootRecord,
    RepoSource,
    UnresolvableBuildRequires,
    resolve_buildroot,
    unresolved_record,
)
from olivine.builds.rpminfo import SrpmInfo, rpm_info, srpm_info
from olivine.builds.submit import submit_build, submit_build_batch
from olivine.builds.volume import DiskCap
from olivine.domain.arches import ArchPlan, plan_arches
from olivine.errors import IntegrityFailure, ValidationFailed
from olivine.imports.specs import choose_spec
from olivine.projects.schema import ProjectFile

__all__ = ["build_arch", "build_srpm", "find_spec", "rpms_provides", "submit_build",
           "submit_build_batch"]  # fmt: skip
_NOT_SOURCES = {".git", "sources", "SPECS"}


@dataclass(frozen=True)
class SrpmRequest:
    project: ProjectFile
    package: str
    source_dir: Path  # the forge checkout
    out_dir: Path
    lookaside: tuple[Path, ...] = ()  # files fetched from the object store, put into SOURCES
    limits: Limits = field(default_factory=Limits)
    workdir: Path | None = None  # default: a temporary directory, removed afterwards


@dataclass(frozen=True)
class SrpmResult:
    srpm: Path | None
    info: SrpmInfo | None
    arches: tuple[str, ...] = ()
    noarch: bool = False
    excluded: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None
    duration: float = 0.0
    provides: tuple[str, ...] = ()  # what the binary packages will provide (rpmspec)

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class ArchRequest:
    project: ProjectFile
    package: str
    srpm: Path
    arch: str
    out_dir: Path
    repos: tuple[RepoSource, ...] = ()  # the project's `all` first (project=True), then external
    limits: Limits = field(default_factory=Limits)
    workdir: Path | None = None


@dataclass(frozen=True)
class ArchResult:
    arch: str
    rpms: tuple[Path, ...] = ()
    buildroot: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason is None


def find_spec(source_dir: Path, package: str) -> tuple[Path, list[Path]]:
    """The spec and the source files of a dist-git (SPECS/ + SOURCES/) or flat tree; the spec
    chosen as the import chose it (`<package>.spec`, or the only one)."""
    specs = sorted((source_dir / "SPECS").glob("*.spec"))
    where = "SPECS/" if specs else ""
    specs = specs or sorted(source_dir.glob("*.spec"))
    spec = choose_spec(specs, package, where)
    if (source_dir / "SOURCES").is_dir():
        return spec, sorted((source_dir / "SOURCES").iterdir())
    flat = [
        p
        for p in sorted(source_dir.iterdir())
        if p != spec and p.name not in _NOT_SOURCES and not p.name.startswith(".")
    ]
    return spec, flat


def build_workdir(given: Path | None) -> tuple[Path, bool]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given, False
    return host.current().new_dir("build-"), True


def _backend(project: ProjectFile) -> Backend:
    if project.builder != "rpmbuild":
        raise ValidationFailed(
            f"builder '{project.builder}' cannot run on this worker: mock is not installed; "
            "use `olivine mock-config` to build with mock elsewhere"
        )
    return RpmbuildBackend()


def build_srpm(req: SrpmRequest, log: LogFn, cancelled: CancelFn | None = None) -> SrpmResult:
    spec, sources = find_spec(req.source_dir, req.package)
    macros = project_macros(req.project, req.package)
    work, temporary = build_workdir(req.workdir)
    try:
        log(f"SRPM of {req.package} from {spec.relative_to(req.source_dir)}")
        res = _backend(req.project).build_srpm(
            spec, [*sources, *req.lookaside], work, macros, log, cancelled, req.limits
        )
        if not res.ok:
            return SrpmResult(None, None, reason=res.reason, duration=res.duration)
        req.out_dir.mkdir(parents=True, exist_ok=True)
        srpm = Path(shutil.copy2(res.outputs[0], req.out_dir / res.outputs[0].name))
        return plan_srpm(req.project, req.package, srpm, log, res)
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


class ArchTagged(Protocol):
    """A spec's arch tags: an SRPM's header (SrpmInfo) or what its import read (ArchTags)."""

    @property
    def exclusive_arch(self) -> Sequence[str]: ...
    @property
    def exclude_arch(self) -> Sequence[str]: ...
    @property
    def build_archs(self) -> Sequence[str]: ...


def package_arches(project: ProjectFile, package: str, tags: ArchTagged) -> ArchPlan:
    """The arches to build a package for in its project (domain.arches.plan_arches);
    ValidationFailed names why none is left."""
    entry = project.package(package)
    return plan_arches(
        project.arches,
        exclusive=tags.exclusive_arch,
        exclude=tags.exclude_arch,
        build_archs=tags.build_archs,
        package_arches=entry.arches if entry else None,
        package=package,
    )


def plan_srpm(
    project: ProjectFile, package: str, srpm: Path, log: LogFn, made: StageResult
) -> SrpmResult:
    """A made SRPM and the arches to build it for (its header's arch tags, the project's)."""
    info = srpm_info(srpm)
    try:
        plan = package_arches(project, package, info)
    except ValidationFailed as e:
        return SrpmResult(srpm, info, reason=e.message, duration=made.duration)
    log(f"arches: {', '.join(plan.arches)}")
    return SrpmResult(
        srpm,
        info,
        plan.arches,
        plan.noarch,
        dict(plan.excluded),
        duration=made.duration,
        provides=made.provides,
    )


def prepare_root(
    project: ProjectFile,
    build_requires: Sequence[str],
    repos: Sequence[RepoSource],
    arch: str,
    work: Path,
    log: LogFn,
    disk: DiskCap | None = None,
) -> tuple[BuildRootRecord, Path | None]:
    """The build root of an `arch` build: resolved and unpacked under work/root (its /usr, or
    None when it holds nothing) within the build's disk cap, and logged. Raises
    UnresolvableBuildRequires, or IntegrityFailure when the root goes beyond the cap."""
    started = time.monotonic()
    usr = None
    if project.buildroot.resolve:
        record = resolve_buildroot(
            build_requires,
            repos,
            project.buildroot.host_provides,
            arch,
            cache=work / "repos",
            solv_cache=host.current().solv_cache,
        )
        if record.rpms:
            cap = disk or DiskCap()
            usr = unpack_rpms(
                record.rpms, work / "root", max_bytes=cap.size_mb << 20, max_files=cap.inodes
            )
    else:
        record = unresolved_record()
    _log_buildroot(log, record.entries)
    log(f"build root ready in {time.monotonic() - started:.2f} s")
    return record, usr


def build_arch(req: ArchRequest, log: LogFn, cancelled: CancelFn | None = None) -> ArchResult:
    info = srpm_info(req.srpm)
    macros = project_macros(req.project, req.package)
    work, temporary = build_workdir(req.workdir)
    try:
        try:
            record, usr = prepare_root(
                req.project, info.build_requires, req.repos, req.arch, work, log, req.limits.disk
            )
        except (UnresolvableBuildRequires, IntegrityFailure) as e:  # the build root
            log(e.message)
            return ArchResult(req.arch, reason=e.message)
        res = _backend(req.project).build_arch(
            req.srpm, req.arch, work, macros, usr, log, cancelled, req.limits
        )
        if not res.ok:
            return ArchResult(req.arch, (), record.entries, res.reason, res.duration)
        rpms = keep_rpms(res.outputs, req.out_dir / req.arch)
        return ArchResult(req.arch, rpms, record.entries, None, res.duration)
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


def keep_rpms(made: Sequence[Path], dest: Path) -> tuple[Path, ...]:
    """The RPMs a build made, copied out of its work directory into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    return tuple(Path(shutil.copy2(p, dest / p.name)) for p in made)


def _log_buildroot(log: LogFn, entries: Sequence[Mapping[str, Any]]) -> None:
    log("Build root:")
    for e in entries:
        if e["kind"] == "rpm":
            log(f"  {e['nevra']} sha256:{e['sha256']} ({e['repo']})")
        elif e["kind"] == "host":
            log(f"  {e['name']}: host {e['host_package']} {e['version'] or '(not installed)'}")
        elif e["kind"] == "host-assumed":
            log(f"  {e['capability']}: assumed from the host")
        else:
            log(f"  not resolved: {e.get('reason', '')}")


def rpms_provides(rpms: Sequence[Path]) -> list[str]:
    """Every capability the given binary RPMs provide (names included)."""
    out: list[str] = []
    for p in rpms:
        info = rpm_info(p)
        out += [info.name, *info.provides]
    return out
