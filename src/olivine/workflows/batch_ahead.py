"""A build batch ordered from its imports' spec facts (BuildBatch, marker PLAN_AHEAD): each
package's Build starts once its own SRPM is made and the builds it waits for are in `all`. A
package's SRPM is made once what it waits for is building (at once if it waits for nobody),
at a lower priority than the arch builds it shares the build queues' slots with. No barrier
waits for every SRPM, unless a made SRPM says something else than its import did: then nothing
more starts until every SRPM is made and the batch is ordered again from them (the old way).
Orchestration only: the rules are olivine.domain.scheduling's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from olivine.batches.service import ItemStatus
    from olivine.builds.jobs import SrpmStepResult
    from olivine.domain.scheduling import Schedule, SrpmFacts, by_depth, next_moves, same_facts
    from olivine.workflows.build_activities import ImportPlan

Status = Callable[..., Awaitable[None]]
Start = Callable[[str, SrpmStepResult], Coroutine[Any, Any, None]]


@dataclass
class Ahead:
    """What the drive needs of its batch workflow."""

    plan: ImportPlan
    state: dict[str, tuple[str, str | None]]  # package -> (item status, reason)
    # (package, made ahead of its need) -> the SRPM, or None: it failed, its item says so
    srpm: Callable[[str, bool], Awaitable[SrpmStepResult | None]]
    build: Start
    status: Status
    reorder: Callable[[dict[str, SrpmStepResult], list[str]], Awaitable[Schedule]]
    log: Callable[[str], Awaitable[None]]
    made: dict[str, SrpmStepResult | None] = field(default_factory=dict)
    stale: bool = False  # a made SRPM contradicts its import: order again from the SRPMs


async def _make(a: Ahead, name: str, ahead: bool) -> None:
    """Its SRPM made, or left to its one arch build (the import's facts, as made)."""
    res = a.plan.one_sandbox.get(name) or await a.srpm(name, ahead)
    a.made[name] = res
    if res is None or a.stale:
        return
    if not same_facts(name, a.plan.facts[name], SrpmFacts(res.build_requires, res.provides)):
        a.stale = True
        await a.log(
            f"{name}: its SRPM's BuildRequires or provides differ from its import's; "
            "the rest of the batch is ordered once every SRPM is made"
        )


async def drive_ahead(a: Ahead, names: list[str]) -> Schedule:
    """Start, skip and make SRPMs until nothing waits; the order it ended with. A package's
    SRPM is made when every package it waits for is building (or built), so that it is there
    when they are in `all`; those that wait for nobody, at once."""
    assert a.plan.schedule is not None
    sched = a.plan.schedule
    order = by_depth({n: sched.deps.get(n, []) for n in names})
    srpms: dict[str, asyncio.Task[None]] = {}
    waiting, running = set(names), {}
    reordered = False
    while True:
        for n in order:
            deps = sched.deps.get(n, [])
            due = all(
                d in running or a.state.get(d, ("", None))[0] == ItemStatus.BUILT for d in deps
            )
            if n not in srpms and n in waiting and (due or a.stale):
                srpms[n] = asyncio.create_task(_make(a, n, bool(deps)))
        if a.stale and not reordered and all(t.done() for t in srpms.values()):
            ok = {n: s for n, s in a.made.items() if s is not None}
            sched = await a.reorder(ok, [n for n, s in a.made.items() if s is None])
            reordered = True
        done = {n for n, t in srpms.items() if t.done()}
        for n in [n for n in waiting if n in done and a.made.get(n) is None]:
            waiting.discard(n)  # its SRPM failed: its item says so already
        moves = next_moves(sched.deps, {n: s for n, (s, _) in a.state.items()}, waiting)
        skip = {n: why for n, why in moves.skip.items() if n in done or n not in srpms}
        hold = a.stale and not reordered
        start = [] if hold else [n for n in moves.start if n in done]
        for n in sorted([*skip, *start]):
            waiting.discard(n)
            if n in skip:
                await a.status(n, ItemStatus.SKIPPED, skip[n])
            else:
                made = a.made[n]
                assert made is not None
                running[n] = asyncio.create_task(a.build(n, made))
        if skip or start:
            continue
        pending = [t for t in srpms.values() if not t.done()]
        if not running and not pending:
            break
        ended, _ = await workflow.wait(
            [*running.values(), *pending], return_when=asyncio.FIRST_COMPLETED
        )
        for n in [n for n, t in running.items() if t in ended]:
            running.pop(n)
    for n in sorted(waiting):  # unreachable unless the order is inconsistent
        await a.status(n, ItemStatus.SKIPPED, "its dependencies never built")
    return sched
