"""The steps of a build as the workflow runs them, each on its own worker: the SRPM step, one
arch step per arch, and the finish step (noarch dedup, ingest, publish). Workers share no
filesystem: the SRPM and the RPMs travel through the object store by sha256."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from olivine.builds import host, limits, records
from olivine.builds.interfaces import CancelFn, LogFn
from olivine.builds.jobs import ArchStepResult, BuildStatus, SrpmStepResult
from olivine.builds.resolve import RepoSource
from olivine.builds.service import (
    ArchRequest,
    ArchResult,
    SrpmRequest,
    SrpmResult,
    build_arch,
    build_srpm,
    package_arches,
)
from olivine.builds.sources import checkout_revision
from olivine.builds.whole import WholeRequest, build_whole
from olivine.db.base import Database
from olivine.db.models import Build, Project
from olivine.domain.scheduling import SrpmFacts
from olivine.errors import NotFound, OlivineError, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.forge.interfaces import Forge
from olivine.imports.specs import ArchTags
from olivine.projects.catalog import project_file
from olivine.projects.schema import ProjectFile
from olivine.storage.interfaces import ObjectStore


class BuildFailed(OlivineError):
    """The build itself failed (its sources or spec): final, never retried."""


def _project(db: Database, build_id: int) -> tuple[Build, Project, ProjectFile]:
    with db.session() as s:
        b = s.get(Build, build_id)
        if b is None:
            raise NotFound(f"build {build_id} not found")
        p = s.get(Project, b.project_id)
        assert p is not None
        s.expunge(b)
        s.expunge(p)
    from olivine.modules.buildhooks import module_overlay

    return b, p, module_overlay(db, build_id, project_file(p))


def srpm_step(
    db: Database,
    forge: Forge,
    store: ObjectStore,
    build_id: int,
    log: LogFn,
    cancelled: CancelFn | None = None,
) -> SrpmStepResult:
    b, _, pf = _project(db, build_id)
    info = records.get_build(db, build_id)
    lim = _limits(pf, log)
    with tempfile.TemporaryDirectory(prefix="srpm-", dir=host.current().worker_dir) as t:
        tmp = Path(t)
        log(f"sources: forge commit {b.forge_commit} (import revision {b.import_revision_id})")
        tree = checkout_revision(db, forge, store, b.import_revision_id, tmp / "tree")
        req = SrpmRequest(pf, info.package, tree, tmp / "out", limits=lim.limits)
        res = build_srpm(req, log, cancelled)
        if res.srpm is None or res.info is None:
            records.finish_build(db, build_id, "failed", res.reason)
            raise BuildFailed(res.reason or "SRPM build failed")
        made = _record_srpm(db, store, build_id, res)
        if not res.ok:  # the SRPM exists but no arch of the project can build it
            records.finish_build(db, build_id, "failed", res.reason)
            raise BuildFailed(res.reason or "no arch to build")
        return made


@dataclass(frozen=True)
class ImportFacts:
    srpm: SrpmFacts  # what its SRPM will tell the scheduler
    arch_tags: ArchTags | None  # None: imported before they were kept


def batch_facts(db: Database, builds: Mapping[str, int]) -> dict[str, ImportFacts | None]:
    """What each build's import said of its spec (BuildRequires, provides, arch tags), when it
    was read with the macros the build's SRPM will be made with; None otherwise (or never
    recorded). package -> build, of one project: its file read once."""
    from olivine.modules.buildhooks import module_overlay

    if not builds:
        return {}
    first, _, pf = _project(db, next(iter(builds.values())))
    with db.session() as s:
        rows = {r.id: r for r in s.scalars(select(Build).where(Build.id.in_(builds.values())))}
        for r in rows.values():
            s.expunge(r)
    out: dict[str, ImportFacts | None] = {}
    for name, build_id in builds.items():
        b = rows.get(build_id)
        if b is None or b.project_id != first.project_id:
            raise NotFound(f"build {build_id} of the batch not found in its project")
        out[name] = _facts(db, b, module_overlay(db, build_id, pf), name)
    return out


def _facts(db: Database, b: Build, pf: ProjectFile, package: str) -> ImportFacts | None:
    from olivine.db.models import ImportRevision
    from olivine.imports.service import defines_for
    from olivine.imports.specs import defines_digest

    with db.session() as s:
        rev = s.get(ImportRevision, b.import_revision_id)
        facts = dict(rev.spec_facts) if rev is not None and rev.spec_facts else None
    if facts is None or facts.get("defines") != defines_digest(defines_for(pf, package)):
        return None
    tags = facts.get("arch_tags")
    return ImportFacts(
        SrpmFacts(list(facts["build_requires"]), list(facts["provides"])),
        ArchTags(**{k: tuple(v) for k, v in tags.items()}) if tags is not None else None,
    )


def one_sandbox_arches(
    db: Database, builds: Mapping[str, int], facts: Mapping[str, ImportFacts]
) -> dict[str, str]:
    """package -> the one arch its SRPM and RPMs can be made for in one sandbox run
    (builds/whole.py): the rpmbuild builder, arch tags known, and exactly one arch (or noarch)
    planned from them. The other packages are left out."""
    if not builds:
        return {}
    _, _, pf = _project(db, next(iter(builds.values())))
    if pf.builder != "rpmbuild":
        return {}
    out: dict[str, str] = {}
    for name in builds:
        tags = facts[name].arch_tags
        if tags is None:
            continue
        try:
            plan = package_arches(pf, name, tags)
        except ValidationFailed:  # no arch: the SRPM step says why, the classic way
            continue
        if len(plan.arches) == 1:
            out[name] = plan.arches[0]
    return out


def _failed_status(reasons: Sequence[str | None]) -> BuildStatus:
    """canceled when every failure was a cancel (the sandbox's reason "cancelled")."""
    return BuildStatus.CANCELED if all(r == "cancelled" for r in reasons) else BuildStatus.FAILED


def _limits(pf: ProjectFile, log: LogFn) -> limits.Effective:
    lim = limits.effective(pf.limits)
    for note in lim.notes:
        log(f"note: {note}")
    return lim


def repo_arch(arch: str, project_arches: Sequence[str] = ("x86_64",)) -> str:
    """The repo arch a build of `arch` reads: noarch builds read x86_64's (or, in a project
    without x86_64, its first arch's)."""
    if arch != "noarch":
        return arch
    return "x86_64" if "x86_64" in project_arches else project_arches[0]


def project_repos(
    db: Database,
    store: ObjectStore,
    project: str,
    pf: ProjectFile,
    arch: str,
    dest: Path,
    policy: FetchPolicy | None = None,
) -> tuple[RepoSource, ...]:
    """The project's published `all` repo for this arch (none before its first publish), then
    its external repos. Packages of `all` are fetched from the store by sha256 when chosen."""
    from olivine.repos.service import write_repo_tree

    out: list[RepoSource] = []
    rarch = repo_arch(arch, pf.arches)
    try:
        local = write_repo_tree(db, store, project, "all", rarch, dest / "all")
    except NotFound:
        local = None
    if local is not None:

        def fetch(location: str, sha256: str | None) -> Path:
            assert sha256 is not None
            target = dest / "all-packages" / Path(location).name
            target.parent.mkdir(parents=True, exist_ok=True)
            return target if target.is_file() else store.download(sha256, target)

        out.append(RepoSource("all", local, project=True, fetcher=fetch))
    for ext in pf.external_repos:
        url = ext.url.replace("$basearch", rarch).replace("$arch", rarch)
        out.append(RepoSource(ext.name, url=url, priority=ext.priority, policy=policy))
    return tuple(out)


def arch_step(
    db: Database,
    store: ObjectStore,
    build_id: int,
    srpm_sha256: str,
    srpm_name: str,
    arch: str,
    log: LogFn,
    cancelled: CancelFn | None = None,
    task_id: int | None = None,
    policy: FetchPolicy | None = None,
) -> ArchStepResult:
    _, project, pf = _project(db, build_id)
    info = records.get_build(db, build_id)
    lim = _admitted(db, project.id, pf, build_id, arch, log, cancelled, task_id)
    if lim is None:
        return ArchStepResult(arch, [], "cancelled")
    with tempfile.TemporaryDirectory(prefix=f"{arch}-", dir=host.current().worker_dir) as t:
        tmp = Path(t)
        srpm = store.download(srpm_sha256, tmp / Path(srpm_name).name)
        repos = _repos(db, store, build_id, project.name, pf, arch, tmp / "repos", policy)
        req = ArchRequest(pf, info.package, srpm, arch, tmp / "out", repos, limits=lim.limits)
        return _record_arch(db, store, build_id, build_arch(req, log, cancelled), log, task_id)


def _admitted(
    db: Database,
    project_id: int,
    pf: ProjectFile,
    build_id: int,
    arch: str,
    log: LogFn,
    cancelled: CancelFn | None,
    task_id: int | None,
) -> limits.Effective | None:
    """The arch build recorded building and admitted under the project's concurrent_builds;
    its limits, or None when it was cancelled while it waited (recorded so)."""
    records.record_arch(db, build_id, arch, "building", task_id=task_id)
    lim = _limits(pf, log)
    if limits.wait_for_turn(db, project_id, build_id, arch, lim.concurrent, log, cancelled):
        return lim
    records.record_arch(
        db, build_id, arch, BuildStatus.CANCELED, reason="cancelled", task_id=task_id
    )
    return None


def whole_step(
    db: Database,
    forge: Forge,
    store: ObjectStore,
    build_id: int,
    arch: str,
    log: LogFn,
    cancelled: CancelFn | None = None,
    task_id: int | None = None,
    policy: FetchPolicy | None = None,
) -> ArchStepResult:
    """The SRPM and the one arch build in one sandbox run (builds/whole.py), recorded as the
    SRPM step and the arch step would record them; the result carries the SRPM step's."""
    b, project, pf = _project(db, build_id)
    package = records.get_build(db, build_id).package
    facts = _facts(db, b, pf, package)
    if facts is None:
        raise BuildFailed("its import's spec facts no longer hold: build it on its own")
    records.mark_building(db, build_id)
    lim = _admitted(db, project.id, pf, build_id, arch, log, cancelled, task_id)
    if lim is None:
        return ArchStepResult(arch, [], "cancelled")
    with tempfile.TemporaryDirectory(prefix=f"{arch}-", dir=host.current().worker_dir) as t:
        tmp = Path(t)
        log(f"sources: forge commit {b.forge_commit} (import revision {b.import_revision_id})")
        tree = checkout_revision(db, forge, store, b.import_revision_id, tmp / "tree")
        repos = _repos(db, store, build_id, project.name, pf, arch, tmp / "repos", policy)
        brs = tuple(facts.srpm.build_requires)
        req = WholeRequest(pf, package, tree, arch, brs, tmp / "out", repos, lim.limits)
        res = build_whole(req, log, cancelled)
        made = _record_srpm(db, store, build_id, res.srpm) if res.srpm.srpm else None
        return _record_arch(db, store, build_id, res.arch, log, task_id, made)


def _record_srpm(
    db: Database, store: ObjectStore, build_id: int, res: SrpmResult
) -> SrpmStepResult:
    """A made SRPM stored, its NEVR claimed and its arches set (the SRPM step's records)."""
    assert res.srpm is not None and res.info is not None
    sha = store.put_file(res.srpm).sha256
    if res.ok:
        records.claim_nevr(db, build_id, res.info.epoch, res.info.version, res.info.release, sha)
        records.set_arches(db, build_id, res.arches)
    return SrpmStepResult(
        sha,
        res.srpm.name,
        list(res.arches),
        res.noarch,
        res.info.nvr,
        dict(res.excluded),
        list(res.info.build_requires),
        [res.info.name, *res.provides],
    )


def _repos(
    db: Database,
    store: ObjectStore,
    build_id: int,
    project: str,
    pf: ProjectFile,
    arch: str,
    dest: Path,
    policy: FetchPolicy | None,
) -> tuple[RepoSource, ...]:
    """What an arch build resolves its build root from: a module's earlier groups, the project's
    repos, with external modular packages filtered as dnf does."""
    from olivine.modules.buildhooks import modular_filter, module_repos

    repos = module_repos(db, store, build_id, arch, dest)
    repos += project_repos(db, store, project, pf, arch, dest, policy)
    return modular_filter(db, build_id, repos)


def _record_arch(
    db: Database,
    store: ObjectStore,
    build_id: int,
    res: ArchResult,
    log: LogFn,
    task_id: int | None,
    srpm: SrpmStepResult | None = None,
) -> ArchStepResult:
    """An arch build's end recorded; its RPMs stored."""
    status = BuildStatus.COMPLETE if res.ok else _failed_status([res.reason])
    records.record_arch(
        db, build_id, res.arch, status, entries=res.buildroot, reason=res.reason, task_id=task_id
    )
    if not res.ok:
        return ArchStepResult(res.arch, [], res.reason, srpm=srpm)
    rpms = [{"name": p.name, "sha256": store.put_file(p).sha256} for p in res.rpms]
    for r in rpms:
        log(f"stored {r['name']} sha256:{r['sha256']}")
    return ArchStepResult(res.arch, rpms, srpm=srpm)


def kept_rpms(results: Sequence[ArchStepResult]) -> list[dict[str, str]]:
    """Every RPM of the build once: noarch subpackages from the first arch (Koji's rule)."""
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for r in results:
        for rpm in r.rpms:
            if rpm["name"].endswith(".noarch.rpm") and rpm["name"] in seen:
                continue
            seen.add(rpm["name"])
            out.append(rpm)
    return out


def finish_step(
    db: Database,
    store: ObjectStore,
    build_id: int,
    srpm: SrpmStepResult,
    results: Sequence[ArchStepResult],
    log: LogFn,
    task_id: int | None = None,
) -> dict[str, Any]:
    """All arches built: record the RPMs in the project (unless scratch: a scratch build
    publishes nowhere and its files stay downloadable by sha256); the project's publisher
    publishes them. An arch that failed fails the build."""
    from olivine.repos.service import ingest_rpm

    failed = [r for r in results if r.reason]
    if failed:
        reason = "; ".join(f"{r.arch}: {r.reason}" for r in failed)
        status = _failed_status([r.reason for r in failed])
        records.finish_build(db, build_id, status, reason)
        raise BuildFailed(reason)
    b, project, _ = _project(db, build_id)
    files = [{"name": srpm.srpm_name, "sha256": srpm.srpm_sha256}, *kept_rpms(results)]
    summary: dict[str, Any] = {
        "build_id": build_id,
        "project": project.name,
        "nevr": srpm.nevr,
        "scratch": b.scratch,
        "rpms": files,
        "artifact_ids": [],
    }
    if b.scratch:
        records.finish_build(db, build_id, "complete")
        log(f"scratch build complete: {len(files)} files kept in the object store")
        return summary
    changed: list[int] = []
    with tempfile.TemporaryDirectory(prefix="olivine-ingest-") as t:
        for f in files:
            path = store.download(f["sha256"], Path(t) / f["name"])
            art = ingest_rpm(
                db, store, path, b.project_id, "build", build_id=build_id, task_id=task_id
            )
            changed.append(art.artifact_id)
    summary["artifact_ids"] = changed
    records.finish_build(db, build_id, "complete")
    return summary


def published_in_all(db: Database, project_id: int, artifact_ids: Sequence[int]) -> bool:
    """Whether the `all` repo as served now holds every one of these artifacts."""
    from olivine.db.models import Repository, RepositoryHead, RepositoryRevision
    from olivine.db.models.repos import RepoChunk
    from olivine.signing.adopt import current_ids

    want = set(current_ids(db, project_id, artifact_ids))  # signed files replace unsigned ones
    with db.session() as s:
        revs = s.scalars(
            select(RepositoryRevision)
            .join(RepositoryHead, RepositoryHead.revision_id == RepositoryRevision.id)
            .join(Repository, Repository.id == RepositoryHead.repository_id)
            .where(Repository.project_id == project_id, Repository.name == "all")
        ).all()
        chunk_ids = [c["id"] for r in revs for c in (r.chunks or [])]
        have: set[int] = set()
        if chunk_ids:
            for (ids,) in s.execute(
                select(RepoChunk.artifact_ids).where(RepoChunk.id.in_(chunk_ids))
            ):
                have.update(ids)
    return want <= have
