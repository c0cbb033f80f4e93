"""What a component build of a module builds with, found from its build ID:
- the module's macros (%dist = the module's dist tag, %modularitylabel, %_module_*, and
  buildopts.rpms.macros), laid over the project's macros;
- a repository of the earlier build groups' RPMs, resolved ahead of everything else.
Builds that are not module components get nothing from here, but for every build the modular
packages of the external repositories are filtered as dnf filters them (`modular_filter`)."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from olivine.builds.resolve import ModularMask, RepoSource
from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.db.models.modules import ModuleComponent, ModuleContext
from olivine.modules import external
from olivine.modules.nsvc import PLATFORM
from olivine.projects.schema import ProjectFile
from olivine.storage.interfaces import ObjectStore

MULTILIB = {"x86_64": ("i686",)}


def _component(db: Database, build_id: int) -> tuple[ModuleComponent, ModuleContext] | None:
    with db.session() as s:
        row = s.execute(
            select(ModuleComponent, ModuleContext)
            .join(ModuleContext, ModuleContext.id == ModuleComponent.module_context_id)
            .where(ModuleComponent.build_id == build_id)
        ).first()
        if row is None:
            return None
        comp, ctx = row
        s.expunge(comp)
        s.expunge(ctx)
        return comp, ctx


def module_overlay(db: Database, build_id: int, pf: ProjectFile) -> ProjectFile:
    """The project file a module component builds with: the module's dist tag and macros."""
    found = _component(db, build_id)
    if found is None:
        return pf
    _, ctx = found
    macros = pf.macros.model_copy(update={"extra": {**pf.macros.extra, **ctx.macros}})
    return pf.model_copy(update={"dist": ctx.dist_tag, "macros": macros})


def _newest(s: Any, project_id: int, name: str, stream: str) -> ModuleContext | None:
    rows = s.scalars(
        select(ModuleContext).where(
            ModuleContext.project_id == project_id,
            ModuleContext.name == name,
            ModuleContext.stream == stream,
            ModuleContext.status == "complete",
        )
    ).all()
    return max(rows, key=lambda r: (int(r.version), r.id)) if rows else None


def _required(s: Any, ctx: ModuleContext) -> tuple[dict[str, str], list[int]]:
    """The module streams a context's builds see, as MBS makes its build roots: the streams it
    buildrequires and, recursively, the runtime requires of the project's newest completed
    context of each (the first stream each names); and the ids of those contexts. A stream
    the project has not built is an external repository's (see `modular_filter`)."""
    ids: list[int] = []

    def requires(name: str, stream: str) -> dict[str, str]:
        row = _newest(s, ctx.project_id, name, stream)
        if row is None:
            return {}
        ids.append(row.id)
        listed = {n: [x for x in v if not x.startswith("-")] for n, v in row.requires.items()}
        return {n: v[0] for n, v in listed.items() if n != PLATFORM and v}

    brs = {n: st for n, st in sorted(ctx.buildrequires.items()) if n != PLATFORM}
    return external.enable(brs, requires), ids


def module_repos(
    db: Database, store: ObjectStore, build_id: int, arch: str, dest: Path
) -> tuple[RepoSource, ...]:
    """The earlier groups' RPMs of this build's module context and those of the project's
    module streams it buildrequires (and, recursively, their runtime requires), as one local
    repository (createrepo_c) preferred over every other repository; () for builds that are
    not module components."""
    found = _component(db, build_id)
    if found is None:
        return ()
    comp, ctx = found
    arches = {arch, "noarch", *MULTILIB.get(arch, ())}
    with db.session() as s:
        earlier = list(
            s.scalars(
                select(ModuleComponent.build_id).where(
                    ModuleComponent.module_context_id == ctx.id,
                    ModuleComponent.group_index < comp.group_index,
                )
            )
        )
        _, required = _required(s, ctx)
        if required:
            earlier += s.scalars(
                select(ModuleComponent.build_id).where(
                    ModuleComponent.module_context_id.in_(required)
                )
            ).all()
        rows = s.execute(
            select(Artifact.sha256, Artifact.filename, Artifact.arch)
            .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
            .where(ProjectArtifact.build_id.in_([b for b in earlier if b]))
        ).all()
    rpms = [(sha, name) for sha, name, a in rows if a in arches]
    if not rpms:
        return ()
    repo = dest / "module-groups"
    repo.mkdir(parents=True, exist_ok=True)
    for sha, name in rpms:
        store.download(sha, repo / name)
    subprocess.run(
        ["createrepo_c", "--no-database", "--quiet", str(repo)], check=True, capture_output=True
    )
    return (RepoSource("module-groups", repo, project=True, first=True),)


def _masker(name: str, enabled: Mapping[str, str] | None) -> Callable[[Path], ModularMask]:
    def of(local: Path) -> ModularMask:
        return external.mask(external.read_repo(local, name), enabled)

    return of


def modular_filter(
    db: Database, build_id: int, repos: Sequence[RepoSource]
) -> tuple[RepoSource, ...]:
    """The external repositories with their modular filtering: a module component build sees
    only the streams its context builds against, any other build the repositories' default
    streams (with their runtime requires, recursively, as MBS makes its build roots); the
    packages of every other stream are hidden (read from each repository's
    modules document, in the worker), and so is a non-modular package of any repository named
    as a package of an enabled stream (the project's `all` holds no modular package)."""
    found = _component(db, build_id)
    enabled: dict[str, str] | None = None
    if found is not None:
        with db.session() as s:
            enabled, _ = _required(s, found[1])
    return tuple(
        r if r.project else dataclasses.replace(r, modular=_masker(r.name, enabled)) for r in repos
    )
