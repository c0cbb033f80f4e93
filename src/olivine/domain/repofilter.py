"""Which packages go into which repository and arch (no I/O).

A repository of the project file is split into one repo per arch: each project arch, `source`
(SRPMs) and `<arch>-debug` (-debuginfo/-debugsource). An arch repo holds that arch's packages,
the noarch packages, and, for arches listed under `multilib`, the compat-arch (i686) packages
pungi's runtime/devel methods select, plus `additional_multilib`, minus `exclude_multilib`.
`include`/`exclude` are globs on binary package names per arch ("*" = every arch; `source` names
the SRPM repo); `packages` limits the repo to those source packages; `keep` keeps the newest N
versions of each name.arch. The reserved `all` repo holds everything.
"""

from __future__ import annotations

import fnmatch
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from olivine.domain.multilib import COMPAT_ARCHES, is_debug_name
from olivine.domain.nevra import vercmp

ALL_REPO = "all"
SOURCE = "source"
DEBUG_SUFFIX = "-debug"


@dataclass(frozen=True)
class PackageRecord:
    """What filtering needs to know about one RPM (a row of the artifacts table)."""

    id: int
    name: str
    epoch: int
    version: str
    release: str
    arch: str
    source_name: str
    multilib_runtime: bool = False
    multilib_devel: bool = False
    sha256: str = ""

    @property
    def evr(self) -> tuple[int, str, str]:
        return (self.epoch, self.version, self.release)

    @property
    def is_source(self) -> bool:
        return self.arch in ("src", "nosrc")

    @property
    def is_debug(self) -> bool:
        return is_debug_name(self.name)


def _globs(value: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in (value or {}).items()}


@dataclass(frozen=True)
class RepoFilter:
    name: str
    packages: frozenset[str] | None = None
    include: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    multilib: frozenset[str] = frozenset()
    additional_multilib: tuple[str, ...] = ()
    exclude_multilib: tuple[str, ...] = ()
    keep: int | None = None  # None: keep every version
    everything: bool = False  # the reserved `all` repo

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> RepoFilter:
        """From a project-file repository entry (projects.schema.Repository, dumped)."""
        keep = spec.get("keep", "all")
        pkgs = spec.get("packages")
        return cls(
            name=spec["name"],
            packages=frozenset(pkgs) if pkgs is not None else None,
            include=_globs(spec.get("include")),
            exclude=_globs(spec.get("exclude")),
            multilib=frozenset(spec.get("multilib") or ()),
            additional_multilib=tuple(spec.get("additional_multilib") or ()),
            exclude_multilib=tuple(spec.get("exclude_multilib") or ()),
            keep=None if keep in (None, "all") else int(keep),
        )

    @classmethod
    def all_repo(cls) -> RepoFilter:
        return cls(name=ALL_REPO, everything=True)

    def _patterns(self, table: dict[str, tuple[str, ...]], arch_key: str) -> tuple[str, ...]:
        return table.get("*", ()) + table.get(arch_key, ())

    def name_allowed(self, name: str, arch_key: str) -> bool:
        if self.everything:
            return True
        inc = self._patterns(self.include, arch_key)
        if inc and not any(fnmatch.fnmatchcase(name, g) for g in inc):
            return False
        return not any(fnmatch.fnmatchcase(name, g) for g in self._patterns(self.exclude, arch_key))

    def package_allowed(self, rec: PackageRecord) -> bool:
        return self.everything or self.packages is None or rec.source_name in self.packages

    def multilib_selects(self, rec: PackageRecord) -> bool:
        if self.everything:
            return True
        if any(fnmatch.fnmatchcase(rec.name, g) for g in self.exclude_multilib):
            return False
        if any(fnmatch.fnmatchcase(rec.name, g) for g in self.additional_multilib):
            return True
        return rec.multilib_runtime or rec.multilib_devel


def repo_arches(project_arches: Iterable[str]) -> list[str]:
    """Every repo/arch a repository has: the arches, `source`, and `<arch>-debug`."""
    arches = [a for a in project_arches if a != "noarch"]
    return [*arches, SOURCE, *(a + DEBUG_SUFFIX for a in arches)]


def _keep_newest(recs: list[PackageRecord], keep: int | None) -> list[PackageRecord]:
    if keep is None:
        return recs
    groups: dict[tuple[str, str], list[PackageRecord]] = defaultdict(list)
    for r in recs:
        groups[(r.name, r.arch)].append(r)

    def by_evr(a: PackageRecord, b: PackageRecord) -> int:
        return vercmp(a.evr, b.evr)

    cmp = functools.cmp_to_key(by_evr)
    out: list[PackageRecord] = []
    for group in groups.values():
        out.extend(group if len(group) <= keep else sorted(group, key=cmp, reverse=True)[:keep])
    return out


def _arch_repo(f: RepoFilter, arch: str, recs: Sequence[PackageRecord]) -> list[PackageRecord]:
    compat = COMPAT_ARCHES.get(arch, ()) if (f.everything or arch in f.multilib) else ()
    out = []
    for r in recs:
        if r.is_source or r.is_debug or not f.package_allowed(r):
            continue
        carried = r.arch in (arch, "noarch") or (r.arch in compat and f.multilib_selects(r))
        if carried and f.name_allowed(r.name, arch):
            out.append(r)
    return out


def _debug_repo(
    f: RepoFilter, arch: str, recs: Sequence[PackageRecord], multilib_sources: set[str]
) -> list[PackageRecord]:
    compat = COMPAT_ARCHES.get(arch, ())
    out = []
    for r in recs:
        if not r.is_debug or not f.package_allowed(r):
            continue
        ours = r.arch in (arch, "noarch")
        multi = r.arch in compat and (f.everything or r.source_name in multilib_sources)
        if (ours or multi) and f.name_allowed(r.name, arch):
            out.append(r)
    return out


def _source_repo(f: RepoFilter, recs: Sequence[PackageRecord]) -> list[PackageRecord]:
    return [
        r for r in recs if r.is_source and f.package_allowed(r) and f.name_allowed(r.name, SOURCE)
    ]


def select(
    f: RepoFilter, project_arches: Sequence[str], recs: Sequence[PackageRecord]
) -> dict[str, list[PackageRecord]]:
    """The packages of each repo/arch of repository `f`, keyed by repo arch."""
    result: dict[str, list[PackageRecord]] = {}
    for arch in project_arches:
        pkgs = _arch_repo(f, arch, recs)
        result[arch] = _keep_newest(pkgs, f.keep)
        compat = COMPAT_ARCHES.get(arch, ())
        ml_sources = {r.source_name for r in result[arch] if r.arch in compat}
        result[arch + DEBUG_SUFFIX] = _keep_newest(_debug_repo(f, arch, recs, ml_sources), f.keep)
    result[SOURCE] = _keep_newest(_source_repo(f, recs), f.keep)
    return result
