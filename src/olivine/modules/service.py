"""What others call: submit a module build, list and show the project's modules.

submit() runs in the API process and never reads upstream modulemd: it checks what the database
knows (the module is in the catalog and was imported from a stream branch, the same import is
not built or building: the same input gives the same NSVCs) and records the module build and
its task. The NSVCs are planned by the workflow's first step, in a worker, where a repeated NSVC
is refused by the database (one building or complete context per NSVC and project)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.models import Build, ImportRevision, Package, Project
from olivine.db.models.modules import ModuleBuild, ModuleComponent, ModuleContext
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.jobs.checks import check_catalog
from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.modules.jobs import ModuleBuildInput, ModuleBuildStatus, ModuleBuildSubmitted
from olivine.projects.catalog import project_file
from olivine.services import Services
from olivine.tasks.service import add_task

WORKFLOW = "ModuleBuild"
_ACTIVE = (ModuleBuildStatus.PENDING, ModuleBuildStatus.BUILDING, ModuleBuildStatus.COMPLETE)


def parse_module(text: str) -> tuple[str, str]:
    name, sep, stream = text.partition(":")
    if not sep or not name or not stream or ":" in stream:
        raise ValidationFailed(f"'{text}' is not NAME:STREAM (e.g. nodejs:18)")
    return name, stream


def workflow_id(module_build_id: int) -> str:
    return f"module-build-{module_build_id}"


def _module_import(s: Any, project: Project, name: str, stream: str) -> ImportRevision:
    """The latest import of module `name` from its `stream` branch (the import names the
    module's NEVR version after the stream, '-' as '_')."""
    version = stream.replace("-", "_")
    rev = s.scalar(
        select(ImportRevision)
        .join(Package, Package.id == ImportRevision.package_id)
        .where(
            ImportRevision.project_id == project.id,
            Package.name == name,
            ImportRevision.version == version,
        )
        .order_by(ImportRevision.id.desc())
    )
    if rev is None:
        raise NotFound(
            f"module {name}:{stream} has no import in project {project.name}: import {name} "
            f"from its stream branch first (`olivine import {project.name} {name}`)"
        )
    return rev


def record_module_build(
    ctx: JobContext, project: Project, module: str
) -> tuple[ModuleBuildSubmitted, Start | None]:
    """Check the request and write the module build, its task and its workflow start in one
    transaction (the job layer's record_job); the job's workflow is `ModuleBuild`."""
    name, stream = parse_module(module)
    check_catalog(ctx.svc.db, project, [name])
    pf = project_file(project)
    wait = int(getattr(ctx.svc.settings, "build_worker_wait", 0) or 0)

    def write(s: Session) -> tuple[Start, ModuleBuildSubmitted]:
        rev = _module_import(s, project, name, stream)
        _refuse_repeat(s, rev, name, stream)
        mb = ModuleBuild(
            project_id=project.id,
            import_revision_id=rev.id,
            submitter_id=ctx.submitter_id,
            name=name,
            stream=stream,
            source_commit=rev.forge_commit,
        )
        s.add(mb)
        s.flush()
        wf = workflow_id(mb.id)
        task = add_task(
            s,
            "module-build",
            project_id=project.id,
            submitter_id=ctx.submitter_id,
            summary=f"module build {name}:{stream} in {project.name}",
            params={"module": module, "module_build_id": mb.id},
            workflow_id=wf,
        )
        mb.task_id = task.id
        inp = ModuleBuildInput(
            task.id, mb.id, project.name, project.id, pf.arches[0], ctx.submitter_id, wait
        )
        sub = ModuleBuildSubmitted(task.id, mb.id, project.name, module, wf)
        return Start(task.id, WORKFLOW, wf, inp), sub

    key = ctx.key("module-build", project=project.name, module=module)
    return record_job(ctx.svc.db, key, write, lambda d: ModuleBuildSubmitted(**d))


async def submit_module_build(
    ctx: JobContext, project: Project, module: str
) -> ModuleBuildSubmitted:
    return await ctx.submit(record_module_build, project, module)


def _refuse_repeat(s: Session, rev: ImportRevision, name: str, stream: str) -> None:
    prior = s.scalar(
        select(ModuleBuild).where(
            ModuleBuild.import_revision_id == rev.id, ModuleBuild.status.in_(_ACTIVE)
        )
    )
    if prior is not None:
        raise Conflict(
            f"module {name}:{stream} from forge commit {rev.forge_commit[:12]} is already "
            f"{prior.status} (module build {prior.id}): the same import gives the same NSVC"
        )


@dataclass
class ComponentView:
    name: str
    group: int
    commit: str
    build_id: int | None
    status: str
    reason: str | None
    task_id: int | None = None  # the component build's task


@dataclass
class ContextView:
    nsvc: str
    version: str
    context: str
    status: str
    dist_tag: str
    module_build_id: int
    task_id: int | None
    buildrequires: dict[str, str]
    requires: dict[str, list[str]]
    arches: list[str]
    components: list[ComponentView] = field(default_factory=list)


@dataclass
class StreamView:
    name: str
    stream: str
    contexts: list[ContextView] = field(default_factory=list)


def _context_view(s: Any, row: ModuleContext, task_id: int | None) -> ContextView:
    comps = s.execute(
        select(ModuleComponent, Build.task_id)
        .outerjoin(Build, Build.id == ModuleComponent.build_id)
        .where(ModuleComponent.module_context_id == row.id)
        .order_by(ModuleComponent.group_index, ModuleComponent.name)
    ).all()
    return ContextView(
        f"{row.name}:{row.stream}:{row.version}:{row.context}", row.version, row.context,
        row.status, row.dist_tag, row.module_build_id, task_id, dict(row.buildrequires),
        dict(row.requires), sorted(row.documents),
        [ComponentView(c.name, c.group_index, c.commit, c.build_id, c.status, c.reason, t)
         for c, t in comps],
    )  # fmt: skip


def list_streams(svc: Services, project: Project, name: str | None = None) -> list[StreamView]:
    """Every module stream of the project with its contexts (newest version first)."""
    with svc.db.session() as s:
        q = (
            select(ModuleContext, ModuleBuild.task_id)
            .join(ModuleBuild, ModuleBuild.id == ModuleContext.module_build_id)
            .where(ModuleContext.project_id == project.id)
            .order_by(ModuleContext.name, ModuleContext.stream, ModuleContext.version.desc())
        )
        if name is not None:
            q = q.where(ModuleContext.name == name)
        out: dict[tuple[str, str], StreamView] = {}
        for row, task_id in s.execute(q):
            view = out.setdefault((row.name, row.stream), StreamView(row.name, row.stream))
            view.contexts.append(_context_view(s, row, task_id))
        return list(out.values())


@dataclass
class UnplannedView:
    """A module build with no context yet: waiting for its plan, or failed before one (an
    unknown module or stream, an invalid document)."""

    module_build_id: int
    module: str  # NAME:STREAM
    status: str
    reason: str | None
    task_id: int | None


def unplanned_builds(svc: Services, project: Project, limit: int = 20) -> list[UnplannedView]:
    """The project's latest module builds that have no context (newest first)."""
    with svc.db.session() as s:
        planned = select(ModuleContext.module_build_id).where(
            ModuleContext.project_id == project.id
        )
        rows = s.scalars(
            select(ModuleBuild)
            .where(ModuleBuild.project_id == project.id, ModuleBuild.id.not_in(planned))
            .order_by(ModuleBuild.id.desc())
            .limit(limit)
        ).all()
        return [
            UnplannedView(r.id, f"{r.name}:{r.stream}", r.status, r.reason, r.task_id) for r in rows
        ]


def show_stream(svc: Services, project: Project, name: str, stream: str) -> StreamView:
    for v in list_streams(svc, project, name):
        if v.stream == stream:
            return v
    raise NotFound(f"project {project.name} has no build of module {name}:{stream}")
