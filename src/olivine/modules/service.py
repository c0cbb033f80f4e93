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

from olivine.db.models import ImportRevision, Package, Project
from olivine.db.models.modules import ModuleBuild, ModuleComponent, ModuleContext
from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.modules.jobs import ModuleBuildInput, ModuleBuildStatus, ModuleBuildSubmitted
from olivine.projects.schema import ProjectFile
from olivine.services import Services

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


def submit_module_build(
    svc: Services, project: Project, module: str, submitter_id: int | None
) -> tuple[ModuleBuildSubmitted, ModuleBuildInput]:
    """Record the module build and its task; the caller starts `ModuleBuild` with the input."""
    name, stream = parse_module(module)
    if name not in {p["name"] for p in project.spec.get("packages", [])}:
        raise NotFound(f"module {name} is not in the catalog of project {project.name}")
    pf = ProjectFile.model_validate(project.spec)
    with svc.db.session() as s:
        rev = _module_import(s, project, name, stream)
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
        mb = ModuleBuild(
            project_id=project.id,
            import_revision_id=rev.id,
            submitter_id=submitter_id,
            name=name,
            stream=stream,
            source_commit=rev.forge_commit,
        )
        s.add(mb)
        s.flush()
        mb_id = mb.id
    task_id = svc.tasks.create(
        "module-build",
        project_id=project.id,
        submitter_id=submitter_id,
        summary=f"module build {name}:{stream} in {project.name}",
        params={"module": module, "module_build_id": mb_id},
    )
    wf = workflow_id(mb_id)
    svc.tasks.set_workflow(task_id, wf)
    with svc.db.session() as s:
        row = s.get(ModuleBuild, mb_id)
        assert row is not None
        row.task_id = task_id
    inp = ModuleBuildInput(
        task_id, mb_id, project.name, project.id, pf.arches[0], submitter_id,
        int(getattr(svc.settings, "build_worker_wait", 0) or 0),
    )  # fmt: skip
    return ModuleBuildSubmitted(task_id, mb_id, project.name, module, wf), inp


@dataclass
class ComponentView:
    name: str
    group: int
    commit: str
    build_id: int | None
    status: str
    reason: str | None


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
    comps = s.scalars(
        select(ModuleComponent)
        .where(ModuleComponent.module_context_id == row.id)
        .order_by(ModuleComponent.group_index, ModuleComponent.name)
    ).all()
    return ContextView(
        f"{row.name}:{row.stream}:{row.version}:{row.context}", row.version, row.context,
        row.status, row.dist_tag, row.module_build_id, task_id, dict(row.buildrequires),
        dict(row.requires), sorted(row.documents),
        [ComponentView(c.name, c.group_index, c.commit, c.build_id, c.status, c.reason)
         for c in comps],
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


def show_stream(svc: Services, project: Project, name: str, stream: str) -> StreamView:
    for v in list_streams(svc, project, name):
        if v.stream == stream:
            return v
    raise NotFound(f"project {project.name} has no build of module {name}:{stream}")
