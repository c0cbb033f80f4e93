"""What the API does before a build or batch workflow starts: refuse what cannot be built (not
in the catalog, never imported), record the build(s) and their tasks, and hand back the workflow
inputs. Kept here so that the API handler stays thin and this is testable without HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from olivine.builds import batches, records
from olivine.builds.sources import find_revision
from olivine.db.models import Project
from olivine.errors import NotFound
from olivine.projects.schema import ProjectFile
from olivine.services import Services


@dataclass(frozen=True)
class Submitted:
    task_id: int
    workflow: str  # Build | BuildBatch
    workflow_id: str
    params: dict[str, Any]
    build_ids: list[int] = field(default_factory=list)
    batch_id: int | None = None


def _catalog(project: Project) -> list[str]:
    return [e["name"] for e in project.spec.get("packages", [])]


def _base_params(svc: Services, project: Project, submitter_id: int | None) -> dict[str, Any]:
    pf = ProjectFile.model_validate(project.spec)
    params: dict[str, Any] = {
        "project": project.name,
        "project_id": project.id,
        "srpm_arch": pf.arches[0],
        "submitter_id": submitter_id,
    }
    wait = getattr(svc.settings, "build_worker_wait", None)
    if wait:
        params["worker_wait"] = int(wait)
    return params


def submit_build(
    svc: Services,
    project: Project,
    package: str,
    submitter_id: int | None,
    scm_hash: str | None = None,
    scratch: bool = False,
) -> Submitted:
    if package not in _catalog(project):
        raise NotFound(f"package {package} is not in the catalog of project {project.name}")
    rev = find_revision(svc.db, project.name, package, scm_hash)
    kind = "scratch build" if scratch else "build"
    task_id = svc.tasks.create(
        "build",
        project_id=project.id,
        package_id=rev.package_id,
        submitter_id=submitter_id,
        summary=f"{kind} {rev.nevr} in {project.name}",
        params={"package": package, "scm_hash": scm_hash, "scratch": scratch},
    )
    build_id = records.create_build(
        svc.db, rev.id, task_id=task_id, submitter_id=submitter_id, scratch=scratch
    )
    wf_id = f"build-{build_id}"
    svc.tasks.set_workflow(task_id, wf_id)
    params = {**_base_params(svc, project, submitter_id), "build_id": build_id, "package": package}
    return Submitted(task_id, "Build", wf_id, params, [build_id])


def submit_batch(
    svc: Services, project: Project, packages: list[str], submitter_id: int | None
) -> Submitted:
    unknown = sorted(set(packages) - set(_catalog(project)))
    if unknown:
        raise NotFound(f"not in the catalog of project {project.name}: {', '.join(unknown)}")
    revs = {}
    missing = []
    for name in dict.fromkeys(packages):
        try:
            revs[name] = find_revision(svc.db, project.name, name)
        except NotFound:
            missing.append(name)
    if missing:
        raise NotFound(
            f"never imported into {project.name}: {', '.join(missing)} "
            "(run `olivine import-batch` first)"
        )
    batch = batches.create(svc.db, project.id, list(revs), submitter_id)
    task_id = svc.tasks.create(
        "build-batch",
        project_id=project.id,
        submitter_id=submitter_id,
        summary=f"build {len(revs)} packages in {project.name}",
        params={"batch_id": batch.id},
    )
    items, item_tasks, build_ids = [], {}, []
    for item in batch.items:
        rev = revs[item.package]
        child = svc.tasks.create(
            "build",
            project_id=project.id,
            package_id=rev.package_id,
            parent_id=task_id,
            submitter_id=submitter_id,
            summary=f"build {rev.nevr} in {project.name}",
            params={"package": item.package, "batch_id": batch.id},
        )
        build_id = records.create_build(
            svc.db, rev.id, task_id=child, batch_id=batch.id, submitter_id=submitter_id
        )
        svc.tasks.set_workflow(child, f"build-{build_id}")
        item_tasks[item.item_id] = child
        build_ids.append(build_id)
        items.append(
            {
                "item_id": item.item_id,
                "package": item.package,
                "task_id": child,
                "build_id": build_id,
            }
        )
    batches.attach(svc.db, batch.id, task_id, item_tasks)
    wf_id = f"build-batch-{batch.id}"
    svc.tasks.set_workflow(task_id, wf_id)
    params = {**_base_params(svc, project, submitter_id), "batch_id": batch.id, "items": items}
    return Submitted(task_id, "BuildBatch", wf_id, params, build_ids, batch.id)
