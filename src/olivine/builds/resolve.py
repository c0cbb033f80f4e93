"""Resolve an SRPM's BuildRequires with libsolv against the project's `all` repo, its external
repos and what the host toolchain supplies (`buildroot.host_provides`).

Preference: the project's own packages, then the host, then external repos (a project-built
foo-devel wins; the host's gcc wins over an external repo's, since the rpmbuild backend runs the
host toolchain). A BuildRequires nothing provides fails the build with the missing names. A
requirement of a chosen package that nothing provides (libc.so.6(GLIBC_2.34), rtld(GNU_HASH))
is taken as supplied by the host and recorded as such ("host-assumed")."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import createrepo_c as cr
import solv

from olivine.builds.fetch import fetch_metadata, fetch_package
from olivine.builds.hostpkgs import host_packages
from olivine.builds.solvcache import FetchedFiles, SolvCache
from olivine.errors import IntegrityFailure, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.repos.metadata import open_compressed
from olivine.storage.interfaces import file_sha256

PROJECT_PRIORITY, HOST_PRIORITY, EXTERNAL_PRIORITY = 300, 200, 100
FIRST_PRIORITY = 400  # a repo ahead of everything (a module build's earlier groups)
_MAX_ROUNDS = 20


@dataclass(frozen=True)
class ModularMask:
    """dnf's modular filtering of one repository (NEVRAs as `name-[E:]V-R.A`): the packages
    of the streams not enabled are hidden, and so is, in every repository, a non-modular
    package named as a package of an enabled stream."""

    hidden: frozenset[str] = frozenset()  # this repo's packages of streams not enabled
    modular: frozenset[str] = frozenset()  # every modular package of this repo
    enabled_names: frozenset[str] = frozenset()  # names of the enabled streams' packages


@dataclass(frozen=True)
class RepoSource:
    """A repository: a directory holding repodata/ (or a primary.xml(.gz) file), or an http(s)
    URL (metadata and chosen packages are fetched; `auth` for a private project's repos)."""

    name: str
    path: Path | None = None
    project: bool = False  # the project's own repo (`all`): preferred over everything
    priority: int = 99  # among external repos: lower wins, as in dnf
    url: str | None = None
    auth: tuple[str, str] | None = None
    # (location, sha256) -> a local file: for repos whose packages live elsewhere (the object
    # store, for the project's `all` repo written from the database)
    fetcher: Callable[[str, str | None], Path] | None = None
    policy: FetchPolicy | None = None  # the fetch policy for `url` (None: the strict default)
    first: bool = False  # preferred even over the project's own repo
    # the repo's local metadata -> what of it is modular and what the build must not see
    modular: Callable[[Path], ModularMask] | None = None

    def local(self, cache: Path, kept: FetchedFiles | None = None) -> Path:
        if self.path is not None:
            return self.path
        if self.url is None:
            raise ValidationFailed(f"repository {self.name} has neither a path nor a URL")
        if self.url.startswith("file://"):
            return (self.policy or FetchPolicy()).file_url(self.url, f"repository {self.name}")
        return fetch_metadata(self.url, cache / self.name, self.auth, self.policy, kept=kept)


class UnresolvableBuildRequires(ValidationFailed):
    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__("missing BuildRequires " + ", ".join(missing))
        self.missing = list(missing)


@dataclass(frozen=True)
class BuildRootRecord:
    """What a build was built in: `entries` go to the build_roots table; `rpms` are local files
    of the repo packages to unpack into the build root."""

    entries: tuple[dict[str, Any], ...]
    rpms: tuple[Path, ...] = field(default=())
    resolved: bool = True


def _metadata(path: Path) -> tuple[Path, Path | None, Path]:
    """(primary, filelists or None, base directory of package locations)."""
    if path.is_file():
        return path, None, path.parent.parent
    repomd = path / "repodata" / "repomd.xml"
    if not repomd.is_file():
        raise ValidationFailed(f"repository {path}: no repodata/repomd.xml")
    records = {r.type: r.location_href for r in cr.Repomd(str(repomd)).records}
    if "primary" not in records:
        raise ValidationFailed(f"repository {path}: repomd.xml lists no primary metadata")
    filelists = path / records["filelists"] if "filelists" in records else None
    return path / records["primary"], filelists, path


def _open(path: Path, tmp: Path) -> solv.xfopen:
    # The solv wheel opens only gzip (a .zst segfaults add_rpmmd): decompress zstd first.
    if path.suffix == ".zst":
        out = tmp / path.name.removesuffix(".zst")
        with path.open("rb") as src, open_compressed(src) as plain, out.open("wb") as dst:
            shutil.copyfileobj(plain, dst)
        path = out
    f = solv.xfopen(str(path))
    if f is None:
        raise ValidationFailed(f"cannot read repository metadata {path}")
    return f


class _Pool:
    def __init__(self, arch: str, cache: SolvCache | None = None) -> None:
        self.cache = cache
        self.pool = solv.Pool()
        self.pool.setarch("x86_64" if arch == "noarch" else arch)
        self.bases: dict[str, Path] = {}
        self.sources: dict[str, RepoSource] = {}
        self.host = self.pool.add_repo("@host")
        self.host.priority = HOST_PRIORITY
        self.assumed = self.host.add_solvable()
        self.assumed.name, self.assumed.evr, self.assumed.arch = "host-assumed", "0", "noarch"
        self.masks: dict[str, ModularMask] = {}

    def add_repo(self, src: RepoSource, tmp: Path, cache: Path) -> None:
        local = src.local(cache, None if self.cache is None else self.cache.fetched)
        primary, filelists, base = _metadata(local)
        repo = self.pool.add_repo(src.name)
        repo.priority = (
            FIRST_PRIORITY
            if src.first
            else PROJECT_PRIORITY
            if src.project
            else EXTERNAL_PRIORITY - src.priority
        )

        def read() -> None:
            repo.add_rpmmd(_open(primary, tmp), None, 0)
            if filelists is not None:
                repo.add_rpmmd(_open(filelists, tmp), None, solv.Repo.REPO_EXTEND_SOLVABLES)

        if self.cache is None:
            read()
        else:
            self.cache.load(repo, [primary] if filelists is None else [primary, filelists], read)
        self.bases[src.name] = base
        self.sources[src.name] = src
        if src.modular is not None:
            self.masks[src.name] = src.modular(local)

    def add_host(self, capability: str, version: str | None) -> None:
        s = self.host.add_solvable()
        s.name, s.arch = f"host({capability})", "noarch"
        s.evr = _evr(version)
        s.add_provides(self.pool.Dep(capability))

    def _hidden(self, x: solv.XSolvable, names: frozenset[str]) -> bool:
        src = self.sources.get(x.repo.name)
        if src is None or src.first:  # the host; a module build's own earlier groups
            return False
        mask = self.masks.get(x.repo.name, ModularMask())
        nevra = f"{x.name}-{x.evr}.{x.arch}"
        return nevra in mask.hidden or (x.name in names and nevra not in mask.modular)

    def wants_files(self, deps: Sequence[solv.Dep]) -> None:
        """File BuildRequires (`/usr/bin/pod2man`, or a path only filelists has): libsolv
        indexes a file as a provide only for file dependencies it has seen when it adds file
        provides, so a solvable that never installs (it requires them, provides nothing
        anyone asks for) shows them to it first, as dnf does with its job's file deps."""
        if deps:
            s = self.host.add_solvable()
            s.name, s.evr, s.arch = "olivine-build-requires", "0", "noarch"
            for d in deps:
                s.add_requires(d)

    def ready(self) -> None:
        if self.masks:  # hidden ones are not considered: out of whatprovides, never installed
            names = frozenset().union(*(m.enabled_names for m in self.masks.values()))
            ids = [x.id for x in self.pool.solvables_iter() if not self._hidden(x, names)]
            self.pool.set_considered_list(ids)
        self.pool.addfileprovides()
        self.pool.createwhatprovides()


def _evr(debian_version: str | None) -> str:
    if not debian_version:
        return "0"
    return debian_version.replace("~", "^") if ":" in debian_version else debian_version


_REL = {
    "<": solv.REL_LT,
    "<=": solv.REL_LT | solv.REL_EQ,
    "=": solv.REL_EQ,
    "==": solv.REL_EQ,
    ">=": solv.REL_GT | solv.REL_EQ,
    ">": solv.REL_GT,
}


def _dep(pool: solv.Pool, text: str) -> solv.Dep | None:
    """A libsolv Dep from 'name', 'name >= evr' or a rich '(a or b)' dependency."""
    if text.startswith("("):
        return pool.parserpmrichdep(text)
    parts = text.split()
    if len(parts) == 3 and parts[1] in _REL:
        return pool.Dep(parts[0]).Rel(_REL[parts[1]], pool.Dep(parts[2]))
    return pool.Dep(parts[0]) if len(parts) == 1 else None


def resolve_buildroot(
    build_requires: Sequence[str],
    repos: Sequence[RepoSource],
    host_provides: Sequence[str],
    arch: str,
    cache: Path | None = None,
    solv_cache: SolvCache | None = None,
) -> BuildRootRecord:
    """Resolve `build_requires` for an `arch` build. Raises UnresolvableBuildRequires.
    `cache` holds fetched metadata and packages of URL repos (default: a temporary directory,
    and then the record's `rpms` must be used before the call returns: pass one);
    `solv_cache`: the worker's repositories as libsolv read them before (builds/solvcache.py)."""
    with tempfile.TemporaryDirectory(prefix="olivine-resolve-") as tmp:
        cache = cache or Path(tmp) / "cache"
        p = _Pool(arch, solv_cache)
        hosts = host_packages(host_provides)
        for h in hosts:
            p.add_host(h.capability, h.version)
        for src in repos:
            p.add_repo(src, Path(tmp), cache)
        deps = [(r, _dep(p.pool, r)) for r in build_requires]
        p.wants_files([d for r, d in deps if d is not None and r.startswith("/")])
        p.ready()
        missing = [r for r, d in deps if d is None or not p.pool.whatprovides(d)]
        if missing:
            raise UnresolvableBuildRequires(missing)
        chosen, assumed = _solve(p, [d for _, d in deps])
        return _record(p, chosen, assumed, {h.capability: h for h in hosts}, cache)


def _solve(p: _Pool, deps: list[solv.Dep]) -> tuple[list[solv.XSolvable], list[str]]:
    flags = solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE_PROVIDES
    jobs = [p.pool.Job(flags, d.id) for d in deps]
    assumed: list[str] = []
    for _ in range(_MAX_ROUNDS):
        solver = p.pool.Solver()
        solver.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
        problems = solver.solve(jobs)
        if not problems:
            return list(solver.transaction().newsolvables()), assumed
        new = _nothing_provides(problems)
        if not new:
            text = "; ".join(str(pr) for pr in problems)
            raise ValidationFailed(f"BuildRequires cannot be installed together: {text}")
        for dep in new:
            p.assumed.add_provides(p.pool.Dep(dep))
            assumed.append(dep)
        p.pool.createwhatprovides()
    raise ValidationFailed("BuildRequires resolution did not settle")


def _nothing_provides(problems: list[solv.Problem]) -> list[str]:
    found: list[str] = []
    for pr in problems:
        for rule in pr.findallproblemrules():
            for info in rule.allinfos():
                if info.type == solv.Solver.SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP:
                    found.append(str(info.dep))
    return list(dict.fromkeys(found))


def _record(
    p: _Pool,
    chosen: list[solv.XSolvable],
    assumed: list[str],
    hosts: dict[str, Any],
    cache: Path,
) -> BuildRootRecord:
    entries: list[dict[str, Any]] = []
    rpms: list[Path] = []
    for s in sorted(chosen, key=lambda s: s.name):
        if s.repo.name == "@host":
            if s.name == "host-assumed":
                continue
            entries.append(hosts[s.name[len("host(") : -1]].record())
            continue
        chk = s.lookup_checksum(solv.SOLVABLE_CHECKSUM)
        location = s.lookup_location()[0]
        path = p.bases[s.repo.name] / location
        sha = chk.hex() if chk and chk.typestr() == "sha256" else None
        src = p.sources[s.repo.name]
        if src.fetcher is not None and not path.is_file():
            path = src.fetcher(location, sha)
        elif src.url and not src.url.startswith("file://"):
            path = fetch_package(src.url, location, cache / src.name, sha, src.auth, src.policy)
        if path.is_file():
            actual = file_sha256(path)
            if sha and actual != sha:
                raise IntegrityFailure(f"{path}: sha256 {actual}, repository metadata says {sha}")
            sha = actual
            rpms.append(path)
        entries.append(
            {
                "kind": "rpm",
                "nevra": f"{s.name}-{s.evr}.{s.arch}",
                "sha256": sha,
                "repo": s.repo.name,
                "location": location,
            }
        )
    entries += [{"kind": "host-assumed", "capability": d} for d in assumed]
    return BuildRootRecord(tuple(entries), tuple(rpms))


def unresolved_record(reason: str = "buildroot.resolve is false") -> BuildRootRecord:
    return BuildRootRecord(({"kind": "unresolved", "reason": reason},), (), resolved=False)
