"""The steps of a module build that run in a worker (they read upstream modulemd):
- plan: read the pinned source, expand it, record one context per NSVC (a repeated NSVC is
  refused by the database) and one build per component and context, with their tasks;
- finish: the final modulemd of every context on every arch, from the builds' RPMs."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olivine.builds import records
from olivine.builds.sources import checkout_revision, find_revision
from olivine.db.base import utcnow
from olivine.db.models import Artifact, ImportRevision, Project, ProjectArtifact
from olivine.db.models.modules import ModuleBuild, ModuleComponent, ModuleContext
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.imports.modules import find_modulemd
from olivine.modules import external
from olivine.modules.jobs import (
    ComponentOutcome,
    ModuleBuildResult,
    ModuleBuildStatus,
    ModulePlanOut,
    PlannedComponent,
    PlannedModuleContext,
)
from olivine.modules.metadata import BuiltRpm, ComponentResult, arch_documents, merge
from olivine.modules.model import NSVC, Expanded, ModuleSource
from olivine.modules.nsvc import dist_tag, modularity_label, platform_of
from olivine.modules.plan import ModulePlan, PlannedContext, plan
from olivine.modules.source import read_source
from olivine.projects.catalog import project_file
from olivine.projects.schema import ProjectFile
from olivine.services import Services


def _load(svc: Services, mb_id: int) -> tuple[ModuleBuild, Project, ProjectFile, ImportRevision]:
    with svc.db.session() as s:
        mb = s.get(ModuleBuild, mb_id)
        if mb is None:
            raise NotFound(f"module build {mb_id} not found")
        p, rev = s.get(Project, mb.project_id), s.get(ImportRevision, mb.import_revision_id)
        assert p is not None and rev is not None
        for row in (mb, p, rev):
            s.expunge(row)
    return mb, p, project_file(p), rev


def read_module(svc: Services, mb: ModuleBuild, rev: ImportRevision) -> ModuleSource:
    """The module's source document at its pinned forge commit."""
    with tempfile.TemporaryDirectory(prefix="olivine-module-") as t:
        tree = checkout_revision(svc.db, svc.forge, svc.store, rev.id, Path(t) / "tree")
        path = find_modulemd(tree, mb.name)
        if path is None:
            raise ValidationFailed(f"the import of {mb.name} holds no modulemd document")
        return read_source(path.read_text(), mb.name, mb.stream)


def commit_time(rev: ImportRevision) -> int:
    """The module import's release is its upstream commit's time, YYYYmmddHHMMSS (UTC)."""
    try:
        return int(datetime.strptime(rev.release, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise ValidationFailed(
            f"module import {rev.id} has no commit time ({rev.release})"
        ) from None


def catalog_of(svc: Services, project_id: int) -> dict[str, tuple[str, ...]]:
    """Streams of the project's own completed modules (what it can build against)."""
    with svc.db.session() as s:
        rows = s.execute(
            select(ModuleContext.name, ModuleContext.stream)
            .where(ModuleContext.project_id == project_id, ModuleContext.status == "complete")
            .distinct()
        ).all()
    out: dict[str, set[str]] = {}
    for name, stream in rows:
        out.setdefault(name, set()).add(stream)
    return {n: tuple(sorted(v)) for n, v in out.items()}


def _catalog(
    svc: Services, project_id: int, pf: ProjectFile, source: ModuleSource
) -> dict[str, tuple[str, ...]]:
    """The project's own streams and, when the source depends on modules, its external
    repositories' (read here, in the worker, under the fetch policy)."""
    own = catalog_of(svc, project_id)
    if not pf.external_repos or not external.depends_on_modules(source):
        return own
    policy = FetchPolicy.from_settings(svc.settings)
    with tempfile.TemporaryDirectory(prefix="olivine-module-repos-") as t:
        found = external.external_modules(pf, policy, Path(t))
    return external.merge_catalogs([own, *(m.catalog() for m in found)])


def module_macros(nsvc: NSVC, rpm_macros: str) -> dict[str, str]:
    """MBS's module-build-macros: the module's identity, then buildopts.rpms.macros."""
    out = {
        "modularitylabel": modularity_label(nsvc),
        "_module_build": "1",
        "_module_name": nsvc.name,
        "_module_stream": nsvc.stream,
        "_module_version": str(nsvc.version),
        "_module_context": nsvc.context,
    }
    for line in rpm_macros.splitlines():
        name, _, body = line.strip().partition(" ")
        if name.startswith("%") and len(name) > 1 and body.strip():
            out[name[1:]] = body.strip()
    return out


def plan_module_build(svc: Services, mb_id: int) -> ModulePlanOut:
    mb, project, pf, rev = _load(svc, mb_id)
    existing = _existing_plan(svc, mb_id)
    if existing is not None:  # a retried step: the plan is recorded already
        return existing
    source = read_module(svc, mb, rev)
    platform = platform_of(pf.vendor.family, pf.vendor.major, pf.vendor.minor)
    planned = plan(source, _catalog(svc, project.id, pf, source), platform, commit_time(rev))
    revs = _component_revisions(svc, project, source)
    out = ModulePlanOut()
    for ctx in planned.contexts:
        out.contexts.append(_record_context(svc, mb, project, planned, ctx, revs))
    with svc.db.session() as s:
        row = s.get(ModuleBuild, mb_id)
        assert row is not None
        row.status, row.groups = ModuleBuildStatus.BUILDING, [list(g) for g in planned.groups]
    return out


def _component_revisions(svc: Services, project: Project, source: ModuleSource) -> dict[str, int]:
    catalog = {p["name"] for p in project.spec.get("packages", [])}
    out: dict[str, int] = {}
    for c in source.components:
        if c.name not in catalog:
            raise NotFound(f"component {c.name} is not in the catalog of project {project.name}")
        if not c.ref:
            raise ValidationFailed(f"component {c.name} has no ref: re-import the module")
        out[c.name] = find_revision(svc.db, project.name, c.name, c.ref).id
    return out


def _record_context(
    svc: Services,
    mb: ModuleBuild,
    project: Project,
    planned: ModulePlan,
    ctx: PlannedContext,
    revs: dict[str, int],
) -> PlannedModuleContext:
    nsvc = ctx.nsvc
    rpm_macros = planned.source.variants[ctx.expanded.variant].rpm_macros
    try:
        with svc.db.session() as s:
            row = ModuleContext(
                module_build_id=mb.id, project_id=project.id, name=nsvc.name,
                stream=nsvc.stream, version=str(nsvc.version), context=nsvc.context,
                dist_tag=dist_tag(nsvc, planned.platform, mb.id), variant=ctx.expanded.variant,
                buildrequires=dict(ctx.expanded.buildrequires),
                requires={k: list(v) for k, v in ctx.expanded.requires.items()},
                macros=module_macros(nsvc, rpm_macros),
                status="building",
            )  # fmt: skip
            s.add(row)
            s.flush()
            ctx_id = row.id
    except IntegrityError:
        raise Conflict(
            f"module {nsvc} is already built or building in project {project.name}"
        ) from None
    groups = [
        [_record_component(svc, mb, ctx_id, nsvc, i, name, revs[name]) for name in group]
        for i, group in enumerate(planned.groups)
    ]
    return PlannedModuleContext(ctx_id, str(nsvc), groups)


def _record_component(
    svc: Services, mb: ModuleBuild, ctx_id: int, nsvc: NSVC, group: int, name: str, rev_id: int
) -> PlannedComponent:
    task_id = svc.tasks.create(
        "build",
        project_id=mb.project_id,
        submitter_id=mb.submitter_id,
        parent_id=mb.task_id,
        summary=f"build {name} for module {nsvc}",
        params={"package": name, "module_build_id": mb.id},
    )
    build_id = records.create_build(svc.db, rev_id, task_id=task_id, submitter_id=mb.submitter_id)
    svc.tasks.set_workflow(task_id, f"build-{build_id}")
    with svc.db.session() as s:
        rev = s.get(ImportRevision, rev_id)
        assert rev is not None
        s.add(
            ModuleComponent(
                module_context_id=ctx_id, name=name, group_index=group,
                commit=rev.forge_commit, build_id=build_id, status="pending",
            )
        )  # fmt: skip
    return PlannedComponent(name, build_id, task_id)


def _existing_plan(svc: Services, mb_id: int) -> ModulePlanOut | None:
    with svc.db.session() as s:
        ctxs = s.scalars(select(ModuleContext).where(ModuleContext.module_build_id == mb_id)).all()
        if not ctxs:
            return None
        out = ModulePlanOut()
        for c in ctxs:
            comps = s.scalars(
                select(ModuleComponent).where(ModuleComponent.module_context_id == c.id)
            ).all()
            depth = max((x.group_index for x in comps), default=-1) + 1
            groups: list[list[PlannedComponent]] = [[] for _ in range(depth)]
            for x in sorted(comps, key=lambda x: x.name):
                task = records.get_build(svc.db, x.build_id).task_id if x.build_id else None
                groups[x.group_index].append(PlannedComponent(x.name, x.build_id or 0, task or 0))
            out.contexts.append(
                PlannedModuleContext(c.id, f"{c.name}:{c.stream}:{c.version}:{c.context}", groups)
            )
        return out


def _rpms_of(s: Any, build_id: int) -> tuple[BuiltRpm, ...]:
    rows = s.scalars(
        select(Artifact)
        .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
        .where(ProjectArtifact.build_id == build_id)
    ).all()
    return tuple(
        BuiltRpm(a.name, a.epoch, a.version, a.release, a.arch, a.source_name, a.license or "")
        for a in rows
    )


def record_outcomes(svc: Services, outcomes: list[ComponentOutcome]) -> None:
    with svc.db.session() as s:
        for o in outcomes:
            row = s.scalar(
                select(ModuleComponent).where(
                    ModuleComponent.module_context_id == o.context_id,
                    ModuleComponent.name == o.component,
                )
            )
            if row is not None:
                row.status = "complete" if o.reason is None else "failed"
                row.reason = o.reason


def fail_module_build(svc: Services, mb_id: int, reason: str, status: str = "failed") -> None:
    """The module build, its contexts and every component that never built end with `status`
    (their builds and tasks too: nothing is left pending)."""
    unbuilt: list[int] = []
    with svc.db.session() as s:
        mb = s.get(ModuleBuild, mb_id)
        if mb is None:
            return
        mb.status, mb.reason, mb.finished_at = status, reason, utcnow()
        for c in s.scalars(select(ModuleContext).where(ModuleContext.module_build_id == mb_id)):
            c.status = status
            for comp in s.scalars(
                select(ModuleComponent).where(
                    ModuleComponent.module_context_id == c.id, ModuleComponent.status == "pending"
                )
            ):
                comp.status, comp.reason = "skipped", "not built: the module build stopped"
                if comp.build_id:
                    unbuilt.append(comp.build_id)
    for build_id in unbuilt:
        _stop_build(svc, build_id, reason, status)


def _stop_build(svc: Services, build_id: int, reason: str, status: str) -> None:
    info = records.get_build(svc.db, build_id)
    ended = "canceled" if status == "canceled" else "failed"
    if info.status in ("pending", "building"):
        records.finish_build(svc.db, build_id, ended, f"not built: {reason}")
    if info.task_id is not None:  # its arch tasks too
        svc.tasks.finish_tree(info.task_id, ended, error=f"not built: {reason}")


def finish_module_build(svc: Services, mb_id: int) -> ModuleBuildResult:
    """Every component built: write each context's final modulemd per arch and complete it."""
    mb, _project, pf, rev = _load(svc, mb_id)
    source = read_module(svc, mb, rev)
    nsvcs: list[str] = []
    with svc.db.session() as s:
        for c in s.scalars(select(ModuleContext).where(ModuleContext.module_build_id == mb_id)):
            comps = s.scalars(
                select(ModuleComponent).where(ModuleComponent.module_context_id == c.id)
            ).all()
            results = [
                ComponentResult(x.name, x.commit, x.build_id or 0, _rpms_of(s, x.build_id or 0))
                for x in sorted(comps, key=lambda x: x.name)
            ]
            nsvc = NSVC(c.name, c.stream, int(c.version), c.context)
            expanded = Expanded(
                c.variant, dict(c.buildrequires), {k: tuple(v) for k, v in c.requires.items()}
            )
            planned = PlannedContext(nsvc, expanded)
            c.documents = _documents(source, planned, pf.arches, results, mb.source_commit)
            c.status = "complete"
            nsvcs.append(str(nsvc))
        row = s.get(ModuleBuild, mb_id)
        assert row is not None
        row.status, row.finished_at = ModuleBuildStatus.COMPLETE, utcnow()
    return ModuleBuildResult(mb_id, nsvcs)


def _documents(
    source: ModuleSource,
    planned: PlannedContext,
    arches: list[str],
    results: list[ComponentResult],
    commit: str,
) -> dict[str, str]:
    out: dict[str, str] = {}
    for arch in arches:
        docs = arch_documents(source, planned, arch, results, commit)
        if docs is not None:
            out[arch] = merge([docs.module, *([docs.devel] if docs.devel else [])])
    return out
