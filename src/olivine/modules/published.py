"""What the repositories carry of the project's modules: for each repository (its `modules`
globs) and arch, the modules.yaml (final modulemd of every completed context it carries, their
`-devel` streams, the defaults and obsoletes of those modules), and which packages are modular.

A module's packages are published only beside its metadata, whatever the repository's
`packages` list: a repository that does not carry a module (the `all` repository builds use
among them) does not carry its packages either, so non-modular builds never take them. The
packages of a module context that is not complete (building, failed, canceled) are published
nowhere: a finished component of a running module build is never in `all`. Each
module context's packages are selected on their own, so a non-modular build of the same package
stays published beside them whatever `keep` says."""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Project, ProjectArtifact
from olivine.db.models.modules import ModuleComponent, ModuleContext
from olivine.domain.repofilter import PackageRecord, RepoFilter
from olivine.domain.repofilter import select as select_packages
from olivine.modules.metadata import DefaultSpec, ObsoleteSpec, merge
from olivine.repos.state import RepoPlan


@dataclass(frozen=True)
class PublishedContext:
    name: str
    stream: str
    documents: dict[str, str]  # arch -> modulemd YAML (the stream and its -devel)
    artifact_ids: frozenset[int]


@dataclass
class ModularView:
    contexts: list[PublishedContext] = field(default_factory=list)
    defaults: list[DefaultSpec] = field(default_factory=list)
    obsoletes: list[ObsoleteSpec] = field(default_factory=list)
    held_ids: frozenset[int] = frozenset()  # of contexts not complete: published nowhere
    _cache: dict[tuple[tuple[str, ...], str], str | None] = field(default_factory=dict)

    @property
    def modular_ids(self) -> set[int]:
        """Every module component's package: none is published as a non-modular one."""
        return {i for c in self.contexts for i in c.artifact_ids} | self.held_ids

    def carried(self, globs: Sequence[str]) -> list[PublishedContext]:
        return [c for c in self.contexts if _matches(globs, c.name, c.stream)]

    def select(
        self,
        spec: dict[str, Any],
        filt: RepoFilter,
        arches: Sequence[str],
        recs: Sequence[PackageRecord],
    ) -> dict[str, list[PackageRecord]]:
        """The repository's packages per repo arch: its filter over the non-modular packages,
        plus the packages of every module context it carries, each context selected on its own
        (so `keep` never drops a module's package for a non-modular build of the same name, or
        the other way round) and whatever the repository's `packages` list says."""
        if not self.contexts and not self.held_ids:
            return select_packages(filt, arches, recs)
        modular = self.modular_ids
        out = select_packages(filt, arches, [r for r in recs if r.id not in modular])
        of_module = dataclasses.replace(filt, packages=None)
        for c in self.carried(spec.get("modules") or []):
            part = select_packages(of_module, arches, [r for r in recs if r.id in c.artifact_ids])
            for arch, pkgs in part.items():
                have = {p.id for p in out.setdefault(arch, [])}
                out[arch].extend(p for p in pkgs if p.id not in have)
        return out

    def plan_for(self, plan: RepoPlan, arch: str) -> RepoPlan:
        """`plan` with this arch's modules.yaml among its extra files."""
        text = self._yaml(tuple(plan.spec.get("modules") or []), arch)
        if text is None:
            return plan
        own = plan.extras.get("modules")
        if own:
            text = merge([text], given=[own])
        return dataclasses.replace(plan, extras={**plan.extras, "modules": text})

    def _yaml(self, globs: tuple[str, ...], arch: str) -> str | None:
        key = (globs, arch)
        if key not in self._cache:
            carried = [c for c in self.carried(globs) if arch in c.documents]
            names = {c.name for c in carried}
            self._cache[key] = (
                merge(
                    [c.documents[arch] for c in carried],
                    [d for d in self.defaults if d.name in names],
                    [o for o in self.obsoletes if o.name in names],
                )
                if carried
                else None
            )
        return self._cache[key]


def _matches(globs: Iterable[str], name: str, stream: str) -> bool:
    return any(fnmatch.fnmatchcase(f"{name}:{stream}", g) for g in globs)


def specs_of(project_spec: dict[str, Any]) -> tuple[list[DefaultSpec], list[ObsoleteSpec]]:
    """The project file's `modules.defaults` and `modules.obsoletes` as plain types."""
    mods = project_spec.get("modules") or {}
    defaults = [
        DefaultSpec(d["name"], d["stream"], d.get("profiles") or {})
        for d in mods.get("defaults") or []
    ]
    obsoletes = [
        ObsoleteSpec(
            o["name"],
            o["stream"],
            int(o["modified"]),
            o["message"],
            int(o["eol_date"]) if o.get("eol_date") else None,
            tuple(o["obsoleted_by"].split(":", 1)) if o.get("obsoleted_by") else None,
            bool(o.get("reset")),
        )
        for o in mods.get("obsoletes") or []
    ]
    return defaults, obsoletes


def modular_view(db: Database, project_id: int) -> ModularView:
    with db.session() as s:
        project = s.get(Project, project_id)
        rows = s.scalars(select(ModuleContext).where(ModuleContext.project_id == project_id)).all()
        if not rows:
            return ModularView()
        ids = _artifacts_by_context(s, project_id, [r.id for r in rows])
        done = [r for r in sorted(rows, key=lambda r: r.id) if r.status == "complete"]
        contexts = [
            PublishedContext(r.name, r.stream, dict(r.documents), frozenset(ids.get(r.id, ())))
            for r in done
        ]
        held = {i for r in rows if r.status != "complete" for i in ids.get(r.id, ())}
        defaults, obsoletes = specs_of(project.spec if project else {})
    return ModularView(contexts, defaults, obsoletes, frozenset(held))


def _artifacts_by_context(s: Any, project_id: int, context_ids: list[int]) -> dict[int, set[int]]:
    q = (
        select(ModuleComponent.module_context_id, ProjectArtifact.artifact_id)
        .join(ProjectArtifact, ProjectArtifact.build_id == ModuleComponent.build_id)
        .where(
            ModuleComponent.module_context_id.in_(context_ids),
            ProjectArtifact.project_id == project_id,
        )
    )
    out: dict[int, set[int]] = {}
    for ctx, art in s.execute(q):
        out.setdefault(ctx, set()).add(art)
    return out
