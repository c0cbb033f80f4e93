"""A module build's plan: every context to build (NSVC, the streams it builds against) and the
component groups in build order. Pure: the same source and catalog give the same plan."""

from __future__ import annotations

from dataclasses import dataclass

from olivine.errors import ValidationFailed
from olivine.modules.expand import Catalog, expand
from olivine.modules.model import NSVC, Expanded, ModuleSource, Platform
from olivine.modules.nsvc import context, version
from olivine.modules.order import Groups, groups


@dataclass(frozen=True)
class PlannedContext:
    nsvc: NSVC
    expanded: Expanded


@dataclass(frozen=True)
class ModulePlan:
    source: ModuleSource
    platform: Platform
    contexts: tuple[PlannedContext, ...]
    groups: Groups


def plan(
    source: ModuleSource, catalog: Catalog, platform: Platform, commit_time: int
) -> ModulePlan:
    """Expand the source; version from the platform stream and the source commit's time."""
    if not source.components:
        raise ValidationFailed(f"module {source.name}:{source.stream} has no rpm components")
    ver = version(platform.stream, commit_time)
    seen: dict[str, PlannedContext] = {}
    for e in expand(source, catalog, platform):
        ctx = e.declared_context or context(e.buildrequires, e.requires)
        if ctx not in seen:
            seen[ctx] = PlannedContext(NSVC(source.name, source.stream, ver, ctx), e)
    return ModulePlan(source, platform, tuple(seen.values()), groups(source.components))
