"""Build order from a BuildRequires graph.

A source package A depends on B when one of A's BuildRequires names a capability that B's
binary RPMs provide. Cycles are strongly connected components (Tarjan) and are built together
as one group; groups are arranged in levels: every group of a level can start in parallel once
the groups of earlier levels are done."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Words of rich dependencies ("(a or b)", "(x if y)") that are not capability names.
_RICH_WORDS = {"and", "or", "if", "else", "with", "without", "unless"}
_OPS = {"<", "<=", "=", "==", ">=", ">"}


def capability_names(dep: str) -> list[str]:
    """Capability names of a dependency string: 'foo >= 1.2' -> ['foo']; rich deps -> each name.

    Hand-written on purpose: a build order only needs names, and rpm's Python bindings have no
    rich-dependency parser outside a transaction."""
    dep = dep.strip()
    if not dep.startswith("("):
        return [dep.split()[0]] if dep else []
    names: list[str] = []
    tokens = re.findall(r"[^\s()]+", dep)
    skip_next = False
    for tok in tokens:
        if skip_next:
            skip_next = False
            continue
        if tok in _OPS:
            skip_next = True  # the version after a comparison operator
            continue
        if tok not in _RICH_WORDS:
            names.append(tok)
    return names


@dataclass(frozen=True)
class BuildOrder:
    """`levels[i]` holds groups; a group of several packages is a cycle built together."""

    levels: tuple[tuple[tuple[str, ...], ...], ...]
    deps: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def groups(self) -> list[tuple[str, ...]]:
        return [g for level in self.levels for g in level]

    @property
    def cycles(self) -> list[tuple[str, ...]]:
        return [g for g in self.groups if len(g) > 1]

    def order(self) -> list[str]:
        return [p for g in self.groups for p in g]


def dependency_graph(
    build_requires: Mapping[str, Iterable[str]], provides: Mapping[str, Iterable[str]]
) -> dict[str, frozenset[str]]:
    """package -> the packages (of this set) whose binaries provide what it build-requires."""
    providers: dict[str, set[str]] = {}
    for pkg, caps in provides.items():
        for cap in caps:
            providers.setdefault(capability_names(cap)[0] if cap else cap, set()).add(pkg)
    graph: dict[str, frozenset[str]] = {}
    for pkg in build_requires.keys() | provides.keys():
        wanted = {n for dep in build_requires.get(pkg, ()) for n in capability_names(dep)}
        graph[pkg] = frozenset(
            p for n in wanted for p in providers.get(n, ()) if p != pkg and p in provides
        )
    return graph


def _tarjan(graph: Mapping[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components, dependencies first (iterative: deep chains are common)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            if children:
                child = children.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
    return out


def build_order(
    build_requires: Mapping[str, Iterable[str]], provides: Mapping[str, Iterable[str]]
) -> BuildOrder:
    """Order the packages: `build_requires` per package, `provides` of each package's binaries
    (binary package names, sonames, files...). Packages appear in either mapping."""
    graph = dependency_graph(build_requires, provides)
    comps = _tarjan(graph)
    comp_of = {p: i for i, comp in enumerate(comps) for p in comp}
    level_of: dict[int, int] = {}
    for i, comp in enumerate(comps):  # Tarjan emits dependencies before dependents
        deps = {comp_of[d] for p in comp for d in graph[p]} - {i}
        level_of[i] = 1 + max((level_of[d] for d in deps), default=-1)
    depth = max(level_of.values(), default=-1) + 1
    levels: list[list[tuple[str, ...]]] = [[] for _ in range(depth)]
    for i, comp in enumerate(comps):
        levels[level_of[i]].append(tuple(comp))
    return BuildOrder(
        levels=tuple(tuple(sorted(level)) for level in levels),
        deps=graph,
    )
