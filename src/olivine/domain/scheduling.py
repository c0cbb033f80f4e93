"""The scheduling rules of batches, as pure functions the batch workflows drive.

- `plan_batch`: who waits for whom. A package waits for the packages whose binaries provide one
  of its BuildRequires (olivine.domain.buildorder); the members of a cycle wait for no one in
  their cycle and start together. A package whose SRPM step failed still counts as a provider
  of its own name and of the binaries it built before (`known`), so its dependents wait for it
  and are skipped, instead of building against its old version.
- `next_moves`: given the state of every item, which waiting packages start now and which are
  skipped (a package they wait for failed or was skipped).
- `to_retry`: what a retry runs again: every item that did not end done.
- `same_facts`: whether a made SRPM says what its import said (a batch planned from the
  imports' spec facts starts each package without waiting for every SRPM; a difference sends
  it back to waiting for them all).
- `by_depth`: packages in the order their builds can start (the SRPMs made ahead in that order).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from olivine.domain.buildorder import build_order, capability_names

BUILT = "built"
FAILED = "failed"
SKIPPED = "skipped"
CANCELED = "canceled"
BAD = frozenset({FAILED, SKIPPED, CANCELED})


@dataclass(frozen=True)
class SrpmFacts:
    """What a made SRPM tells the scheduler."""

    build_requires: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)  # its binaries' names and provides


@dataclass
class Schedule:
    deps: dict[str, list[str]] = field(default_factory=dict)  # package -> the packages it waits for
    cycles: list[list[str]] = field(default_factory=list)


def plan_batch(
    made: Mapping[str, SrpmFacts],
    failed: Iterable[str] = (),
    known: Mapping[str, Iterable[str]] | None = None,
) -> Schedule:
    """`made`: the packages whose SRPM was made; `failed`: those whose SRPM step failed, with
    `known` the binary names each built before."""
    reqs: dict[str, list[str]] = {n: list(f.build_requires) for n, f in made.items()}
    prov: dict[str, list[str]] = {n: [n, *f.provides] for n, f in made.items()}
    for n in failed:
        reqs.setdefault(n, [])
        prov[n] = [n, *((known or {}).get(n, ()))]
    order = build_order(reqs, prov)
    group = {p: g for g in order.groups for p in g}
    deps = {n: sorted(d for d in order.deps.get(n, ()) if d not in group[n]) for n in reqs}
    return Schedule(deps, [list(c) for c in order.cycles])


@dataclass(frozen=True)
class Moves:
    start: list[str] = field(default_factory=list)
    skip: dict[str, str] = field(default_factory=dict)  # package -> why


def next_moves(
    deps: Mapping[str, list[str]], state: Mapping[str, str], waiting: Collection[str]
) -> Moves:
    """Which of `waiting` start now (everything they wait for is built) and which are skipped
    (something they wait for failed, was skipped or canceled). Repeat until nothing moves:
    a skip can unblock the decision for packages that wait for the skipped one."""
    start, skip = [], {}
    for n in sorted(waiting):
        wait = deps.get(n, [])
        bad = [d for d in wait if state.get(d) in BAD]
        if bad:
            skip[n] = f"dependency {', '.join(bad)} did not build"
        elif all(state.get(d) == BUILT for d in wait):
            start.append(n)
    return Moves(start, skip)


def _names(deps: Iterable[str]) -> set[str]:
    return {n for d in deps for n in capability_names(d)}


def same_facts(package: str, planned: SrpmFacts, made: SrpmFacts) -> bool:
    """Whether two sets of facts order the batch alike: the same BuildRequires names, and the
    same provided names (the package's own name counts as provided either way)."""
    if _names(planned.build_requires) != _names(made.build_requires):
        return False
    return _names(planned.provides) | {package} == _names(made.provides) | {package}


def by_depth(deps: Mapping[str, list[str]]) -> list[str]:
    """Every package of `deps`, those that wait for nobody first, then by how long a chain of
    packages they wait for (plan_batch broke the cycles), then by name."""
    depth: dict[str, int] = {}
    pending = {n: [d for d in ds if d in deps and d != n] for n, ds in deps.items()}
    while pending:
        ready = [n for n, ds in pending.items() if all(d in depth for d in ds)] or list(pending)
        for n in ready:
            depth[n] = 1 + max((depth[d] for d in pending[n] if d in depth), default=-1)
            del pending[n]
    return sorted(deps, key=lambda n: (depth[n], n))


def to_retry(statuses: Mapping[str, str], done: Collection[str]) -> list[str]:
    """The packages a retry runs again: every one whose item is not done, in batch order."""
    return [n for n, s in statuses.items() if s not in done]
