"""Build order of a module's components: groups by `buildorder` (lowest first; components of a
group build in parallel), or levels of the `buildafter` graph. A component that BuildRequires
what a component of the same or a later group builds makes a cycle with the declared order
(unless the same-group dependency runs one way only: then it resolves against what is already
published, as MBS would)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from olivine.domain.buildorder import dependency_graph
from olivine.errors import ValidationFailed
from olivine.modules.model import Component

Groups = tuple[tuple[str, ...], ...]


def groups(components: Iterable[Component]) -> Groups:
    comps = list(components)
    if any(c.buildafter for c in comps):
        return _buildafter_levels(comps)
    orders = sorted({c.buildorder for c in comps})
    return tuple(tuple(sorted(c.name for c in comps if c.buildorder == o)) for o in orders)


def _buildafter_levels(comps: list[Component]) -> Groups:
    names = {c.name for c in comps}
    after = {c.name: set(c.buildafter) for c in comps}
    for c in comps:
        for dep in c.buildafter:
            if dep not in names:
                raise ValidationFailed(
                    f"component {c.name}: buildafter names {dep}, not a component"
                )
    levels: list[tuple[str, ...]] = []
    done: set[str] = set()
    while len(done) < len(names):
        ready = sorted(n for n in names - done if after[n] <= done)
        if not ready:
            left = ", ".join(sorted(names - done))
            raise ValidationFailed(f"buildafter cycle among components {left}")
        levels.append(tuple(ready))
        done |= set(ready)
    return tuple(levels)


def check_cycles(
    order: Groups,
    build_requires: Mapping[str, Iterable[str]],
    provides: Mapping[str, Iterable[str]],
) -> None:
    """Refuse an order that a component's BuildRequires contradicts (names both ends)."""
    graph = dependency_graph(build_requires, provides)
    group_of = {name: i for i, g in enumerate(order) for name in g}
    for comp in sorted(graph):
        for dep in sorted(graph[comp]):
            if comp not in group_of or dep not in group_of:
                continue
            later = group_of[dep] > group_of[comp]
            mutual = group_of[dep] == group_of[comp] and comp in graph.get(dep, ())
            if later or mutual:
                raise ValidationFailed(
                    f"buildorder cycle: component {comp} (group {group_of[comp] + 1}) "
                    f"BuildRequires {dep} (group {group_of[dep] + 1}), which "
                    + ("BuildRequires it too" if mutual else "builds after it")
                )
