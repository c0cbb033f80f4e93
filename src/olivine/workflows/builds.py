"""Builds as Temporal workflows: one package (Build: SRPM, then one arch build per arch in
parallel on `olivine-build-<arch>`, then finish and publish) and many in BuildRequires order
(BuildBatch, driving olivine.domain.scheduling). Orchestration only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import Priority, RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from olivine.batches.service import BatchItemRef, ItemOutcome, ItemStatus
    from olivine.builds.jobs import (
        ArchStepResult,
        BuildBatchInput,
        BuildBatchResult,
        BuildInput,
        BuildResult,
        SrpmStepResult,
    )
    from olivine.config import BUILD_TIME_CEILING
    from olivine.domain.scheduling import Schedule, next_moves
    from olivine.jobs.status import CANCELED, TaskStatus
    from olivine.workflows.batch_ahead import Ahead, drive_ahead
    from olivine.workflows.batches import report_build
    from olivine.workflows.build_activities import (
        ArchInput,
        ArchTasksInput,
        BuildActivities,
        FinishStepInput,
        ImportPlanInput,
        MarkInput,
        OrderInput,
        PublishAsk,
        SrpmInput,
    )
    from olivine.workflows.common import DEFAULT_RETRY, QUEUE, SHORT, build_queue
    from olivine.workflows.provenance import ProvenanceWorkflow, provenance_workflow_id
    from olivine.workflows.publish import AwaitsPublisher, Tell
    from olivine.workflows.tasks import error_message, finish, log, run_task

__all__ = ["BuildActivities", "BuildBatchWorkflow", "BuildWorkflow"]

# above the longest stage an operator may allow, with time for the build root and the upload
BUILD_TIMEOUT = timedelta(seconds=BUILD_TIME_CEILING, hours=1)
LATER = Priority(priority_key=4)  # below the default (3): SRPMs made ahead of their need
BATCH_CONCURRENCY = 8
# Patch markers (workflow.patched): histories started before each change replay the old way.
PUBLISH_SIGNAL = "build-waits-for-published-signal"
SRPM_SKIP = "batch-skips-dependents-of-failed-srpm"
SKIP_ENDS_BUILD = "skipped-item-ends-its-build-and-task"
CANCEL_ENDS_ITEMS = "canceled-batch-ends-its-items"
# the build queues' worker slots bound the builds, not a batch slot held across a whole Build
BUILDS_UNGATED = "batch-gate-bounds-srpms-only"
# an item is built (its dependents may start) before its batch-item row is written; the
# "building" write runs alongside the child's start
ITEM_WRITES_BEHIND = "batch-item-writes-behind-state"
# a successful arch build finishes its own arch task; the workflow does only on failure
ARCH_FINISHES_TASK = "arch-activity-finishes-its-task"
# a Build of a batch tells its batch once its RPMs are in `all` (before its own bookkeeping)
BUILT_SIGNAL = "build-signals-batch-when-in-all"
BUILT = "build_in_all"  # the batch's signal: a Build's workflow ID
# a batch is ordered from its imports' spec facts when they hold: no wait for every SRPM
PLAN_AHEAD = "batch-plans-from-import-facts"
# build_finish asks the publisher itself (no build_publish round trip), and the publisher tells
# the batch that the RPMs are in `all` (not the Build, once it has the publisher's answer)
FINISH_ASKS_PUBLISHER = "build-finish-asks-publisher"
# an SRPM activity whose worker was lost on its last attempt (a heartbeat or start-to-close
# timeout) could not end the build row: the workflow ends it failed
SRPM_LOST_ENDS_BUILD = "srpm-lost-worker-ends-build"
# a batch's build whose import plans exactly one arch makes its SRPM in its arch build's
# sandbox run (builds/whole.py): no SRPM step ahead
ONE_SANDBOX = "batch-single-arch-builds-in-one-sandbox"
# the publish of an unsigned project starts the build's Provenance workflow (the Build starts
# it only when the answer says none was started): one workflow task less per build
PROVENANCE_BY_PUBLISHER = "publisher-starts-provenance"
# A worker that died (heartbeat timeout) is retried; the build's own failure is final (the
# interceptor marks BuildFailed so).
BUILD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=4,
)


def _opts() -> dict[str, Any]:
    return {"start_to_close_timeout": SHORT, "retry_policy": DEFAULT_RETRY}


def _build_opts(p: BuildInput, queue_arch: str) -> dict[str, Any]:
    return {
        "task_queue": build_queue(queue_arch),
        "start_to_close_timeout": BUILD_TIMEOUT,
        "schedule_to_start_timeout": timedelta(seconds=p.worker_wait),
        "heartbeat_timeout": timedelta(seconds=p.heartbeat),
        "retry_policy": BUILD_RETRY,
    }


def _no_worker(err: BaseException) -> bool:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, TimeoutError) and cause.type == TimeoutType.SCHEDULE_TO_START:
            return True
        cause = getattr(cause, "cause", None)
    return False


async def _arch_build(
    p: BuildInput,
    srpm: SrpmStepResult,
    arch: str,
    task_id: int,
    fin: FinishStepInput | None = None,
) -> ArchStepResult:
    """One arch build as a child task on its arch's queue; a failure is a result, not raised.
    `fin`: the build's finish, for the activity to make too (the build's only arch)."""
    own = workflow.patched(ARCH_FINISHES_TASK)
    inp = ArchInput(task_id, p.build_id, srpm.srpm_sha256, srpm.srpm_name, arch, own, fin)
    inp.one_sandbox = srpm.one_sandbox
    try:
        res = await workflow.execute_activity_method(
            BuildActivities.arch, inp, **_build_opts(p, arch)
        )
    except ActivityError as e:
        if isinstance(e.cause, CancelledError):
            reason = CANCELED
        elif _no_worker(e):
            reason = f"no worker: no {arch} worker took the build within {p.worker_wait} s"
        else:
            reason = error_message(e)
        res = ArchStepResult(arch, [], reason)
    status = TaskStatus.SUCCEEDED if not res.reason else TaskStatus.FAILED
    if res.reason in ("cancelled", CANCELED):
        status = TaskStatus.CANCELED
    if own and status == TaskStatus.SUCCEEDED:
        return res  # the activity finished its task
    result = {"arch": res.arch, "rpms": res.rpms, "reason": res.reason}
    await finish(task_id, status, result=result, error=res.reason)
    return res


async def srpm_stage(p: BuildInput, priority: Priority | None = None) -> SrpmStepResult:
    """`priority`: of an SRPM made ahead (a worker takes the arch builds queued first)."""
    opts = _build_opts(p, p.srpm_arch)
    if priority is not None:
        opts["priority"] = priority
    try:
        return await workflow.execute_activity_method(
            BuildActivities.srpm, SrpmInput(p.task_id, p.build_id), **opts
        )
    except ActivityError as e:
        if not _no_worker(e):
            if isinstance(e.cause, TimeoutError) and workflow.patched(SRPM_LOST_ENDS_BUILD):
                why = f"the SRPM build's worker was lost ({error_message(e)}) on its last attempt"
                lost = MarkInput(p.build_id, "failed", why, open_only=True)
                await workflow.execute_activity_method(BuildActivities.mark, lost, **_opts())
            raise
        reason = f"no worker: no {p.srpm_arch} worker took the SRPM build within {p.worker_wait} s"
        await workflow.execute_activity_method(
            BuildActivities.mark, MarkInput(p.build_id, "failed", reason), **_opts()
        )
        raise ApplicationError(reason, non_retryable=True) from None


@workflow.defn(name="Build")
class BuildWorkflow(AwaitsPublisher):
    @workflow.run
    async def run(self, inp: BuildInput) -> BuildResult:
        p = inp.resolved()

        async def body() -> BuildResult:
            srpm = p.srpm or await srpm_stage(p)
            tasks = srpm.arch_tasks or await workflow.execute_activity_method(
                BuildActivities.arch_tasks,
                ArchTasksInput(p.task_id, p.build_id, srpm.arches),
                **_opts(),
            )
            asks = workflow.patched(FINISH_ASKS_PUBLISHER)
            fin = FinishStepInput(p.task_id, p.build_id, srpm, [], p.project_id, p.submitter_id)
            if asks:
                fin.reply_to, fin.tell = workflow.info().workflow_id, _batch_tell()
                fin.provenance = workflow.patched(PROVENANCE_BY_PUBLISHER)
            one = fin if asks and len(srpm.arches) == 1 else None
            results = await asyncio.gather(
                *(_arch_build(p, srpm, a, tasks[a], one) for a in srpm.arches)
            )
            signal = asks or workflow.patched(PUBLISH_SIGNAL)
            fin.results, fin.wait_publish = list(results), not signal
            if srpm.one_sandbox and results[0].srpm is not None:  # made by the arch build
                fin.srpm = results[0].srpm
            out = results[0].finished if one else None
            if out is None:
                out = await workflow.execute_activity_method(
                    BuildActivities.finish,
                    fin,
                    start_to_close_timeout=timedelta(minutes=30),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=DEFAULT_RETRY,
                )
            if asks and out.artifact_ids:
                answer = await self.answer(out.project, "built, but publishing failed: ")
                ended = [log(p.task_id, f"published {out.nevr}")]
                started = p.build_id in answer.provenance
                if not out.scratch and workflow.patched("provenance") and not started:
                    ended.append(_provenance(p.build_id))
                await asyncio.gather(*ended)  # one round trip
            elif signal and out.artifact_ids:
                await self._publish(p, out)
                if not out.scratch and workflow.patched("provenance"):
                    await _provenance(p.build_id)
            return out

        try:
            return await run_task(p.task_id, body)
        except (asyncio.CancelledError, CancelledError):
            await asyncio.shield(
                workflow.execute_activity_method(
                    BuildActivities.mark, MarkInput(p.build_id, CANCELED, CANCELED), **_opts()
                )
            )
            raise

    async def _publish(self, p: BuildInput, out: BuildResult) -> None:
        """Ask the project's publisher for the RPMs, and wait for its signal that `all` has
        them: a batch starts the builds that need them only then."""
        ask = PublishAsk(
            p.task_id,
            out.project,
            out.artifact_ids,
            f"build {p.build_id}",
            workflow.info().workflow_id,
            p.submitter_id,
        )
        await workflow.execute_activity_method(BuildActivities.publish, ask, **_opts())
        await self.answer(out.project, "built, but publishing failed: ")
        parent = workflow.info().parent
        if (
            parent
            and parent.workflow_id.startswith("build-batch-")
            and workflow.patched(BUILT_SIGNAL)
        ):
            await _tell_batch(parent.workflow_id)
        await log(p.task_id, f"published {out.nevr}")


async def _provenance(build_id: int) -> None:
    await workflow.start_child_workflow(
        ProvenanceWorkflow.run,
        build_id,
        id=provenance_workflow_id(build_id),
        parent_close_policy=ParentClosePolicy.ABANDON,
    )


def _batch_tell() -> list[Tell]:
    """The batch this Build belongs to, to be told by the publisher once the RPMs are in
    `all` (its dependents may start)."""
    parent = workflow.info().parent
    if parent and parent.workflow_id.startswith("build-batch-"):
        return [Tell(parent.workflow_id, BUILT, workflow.info().workflow_id)]
    return []


async def _tell_batch(batch_id: str) -> None:
    try:
        await workflow.get_external_workflow_handle(batch_id).signal(
            BUILT, workflow.info().workflow_id
        )
    except Exception:  # the batch ended meanwhile (canceled): it waits for nobody
        workflow.logger.info("batch %s is gone", batch_id)


State = dict[str, tuple[str, str | None]]


@workflow.defn(name="BuildBatch")
class BuildBatchWorkflow:
    """Each package's Build (ID `build-<build_id>`) once the builds it build-requires are
    published; cycles start together; a failed dependency (its SRPM or its build) skips. The
    order comes from the imports' spec facts when they hold for every package (the SRPMs are
    made ahead, workflows/batch_ahead.py), else from the SRPMs, all made first."""

    def __init__(self) -> None:
        self._in_all: set[str] = set()  # Builds whose RPMs are in `all` (BUILT signals)

    @workflow.signal(name=BUILT)
    def in_all(self, build_wf: str) -> None:
        self._in_all.add(build_wf)

    @workflow.run
    async def run(self, inp: BuildBatchInput) -> BuildBatchResult:
        p = inp.resolved()
        items = {i.package: i for i in p.items}
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)
        state: State = {}

        writes: dict[str, asyncio.Task[None]] = {}  # each item's last batch-item write
        tails: list[asyncio.Task[None]] = []  # Builds in `all`, finishing their bookkeeping

        async def item_status(name: str, status: str, reason: str | None = None) -> None:
            state[name] = (status, reason)
            if workflow.patched(ITEM_WRITES_BEHIND):
                write = _chain(writes.get(name), items[name].item_id, status, reason)
                writes[name] = asyncio.create_task(write)
                if status not in (ItemStatus.BUILDING, ItemStatus.BUILT):
                    await writes[name]
            else:
                await report_build(items[name].item_id, status, reason)
            if status == ItemStatus.SKIPPED and workflow.patched(SKIP_ENDS_BUILD):
                await _end_skipped(items[name].build_id or 0, items[name].task_id, reason)

        async def srpm(name: str, later: bool = False) -> SrpmStepResult | None:
            i = items[name]
            async with gate:
                try:
                    return await srpm_stage(p.build_input(i, None), LATER if later else None)
                except (ActivityError, ApplicationError) as e:
                    await item_status(name, ItemStatus.FAILED, error_message(e))
                    await finish(i.task_id, TaskStatus.FAILED, error=error_message(e))
                    return None

        async def build(name: str, made: SrpmStepResult) -> None:
            i = items[name]
            await item_status(name, ItemStatus.BUILDING)
            async with gate if not workflow.patched(BUILDS_UNGATED) else _NO_GATE:
                wf_id = f"build-{i.build_id}"
                try:
                    child = await workflow.start_child_workflow(
                        BuildWorkflow.run, p.build_input(i, made), id=wf_id, task_queue=QUEUE
                    )
                    if workflow.patched(BUILT_SIGNAL):
                        await workflow.wait_condition(lambda: wf_id in self._in_all or child.done())
                        if not child.done():  # in `all`: its dependents may start
                            await item_status(name, ItemStatus.BUILT)
                            tails.append(asyncio.create_task(_tail(p.task_id, name, child)))
                            return
                    await child
                    await item_status(name, ItemStatus.BUILT)
                except Exception as e:  # a failed item does not stop the batch
                    await item_status(name, ItemStatus.FAILED, error_message(e))

        async def reorder(ok: dict[str, SrpmStepResult], failed: list[str]) -> Schedule:
            order = OrderInput(ok, failed if workflow.patched(SRPM_SKIP) else [], p.project_id)
            plan = await workflow.execute_activity_method(BuildActivities.order, order, **_opts())
            if plan.cycles:
                cycles = "; ".join(" ".join(c) for c in plan.cycles)
                await log(p.task_id, f"cycles, built together: {cycles}")
            return plan

        async def body() -> BuildBatchResult:
            ahead = None
            if workflow.patched(PLAN_AHEAD):
                builds = {n: i.build_id or 0 for n, i in items.items()}
                plan_in = ImportPlanInput(builds)
                if workflow.patched(ONE_SANDBOX):
                    plan_in.tasks = {n: i.task_id for n, i in items.items()}
                    plan_in.one_sandbox = True
                ahead = await workflow.execute_activity_method(
                    BuildActivities.import_plan, plan_in, **_opts()
                )
            if ahead is not None and ahead.schedule is not None:
                if ahead.schedule.cycles:
                    cycles = "; ".join(" ".join(c) for c in ahead.schedule.cycles)
                    await log(p.task_id, f"cycles, built together: {cycles}")
                a = Ahead(ahead, state, srpm, build, item_status, reorder, _logger(p.task_id))
                plan = await drive_ahead(a, list(items))
            else:
                made = await asyncio.gather(*(srpm(n) for n in items))
                made_by = dict(zip(items, made, strict=True))
                ok = {n: s for n, s in made_by.items() if s is not None}
                plan = await reorder(ok, [n for n, s in made_by.items() if s is None])
                await _drive(ok, plan, state, item_status, build)
            await asyncio.gather(*writes.values(), *tails)
            counts: dict[str, int] = {}
            for status, _ in state.values():
                counts[status] = counts.get(status, 0) + 1
            outcomes = [ItemOutcome(n, s, r) for n, (s, r) in state.items()]
            return BuildBatchResult(p.batch_id, counts, plan.cycles, outcomes)

        try:
            return await run_task(p.task_id, body)
        except (asyncio.CancelledError, CancelledError):
            if workflow.patched(CANCEL_ENDS_ITEMS):
                ended = {ItemStatus.BUILT, ItemStatus.FAILED, ItemStatus.SKIPPED}
                open_items = [n for n in items if state.get(n, ("", None))[0] not in ended]
                await asyncio.shield(_cancel_items(p, [items[n] for n in open_items]))
            raise


_NO_GATE = contextlib.nullcontext()


def _logger(task_id: int) -> Callable[[str], Awaitable[None]]:
    async def say(text: str) -> None:
        await log(task_id, text)

    return say


async def _tail(task_id: int, name: str, child: Awaitable[Any]) -> None:
    """A Build that told its batch its RPMs are in `all` ends; a failure after that is said
    in the batch's log (the item stays built: its RPMs are served)."""
    try:
        await child
    except Exception as e:
        await log(task_id, f"{name}: in `all`, then its build ended failed: {error_message(e)}")


async def _chain(
    before: asyncio.Task[None] | None, item_id: int, status: str, reason: str | None
) -> None:
    """An item's batch-item writes land in the order they were made."""
    if before is not None:
        await before
    await report_build(item_id, status, reason)


async def _cancel_items(p: BuildBatchInput, open_items: list[BatchItemRef]) -> None:
    """A canceled batch: its unfinished items say canceled, and so do their builds and tasks
    (a Build that was running records that itself; one never started does not exist)."""
    for i in open_items:
        await report_build(i.item_id, ItemStatus.CANCELED, CANCELED)
        await workflow.execute_activity_method(
            BuildActivities.mark, MarkInput(i.build_id or 0, CANCELED, CANCELED), **_opts()
        )
        await finish(i.task_id, TaskStatus.CANCELED, error=CANCELED)


async def _end_skipped(build_id: int, task_id: int, reason: str | None) -> None:
    """A skipped package's build never runs: it fails with the reason (freeing its NEVR
    claim), and so does its task."""
    why = f"skipped: {reason}"
    await workflow.execute_activity_method(
        BuildActivities.mark, MarkInput(build_id, "failed", why), **_opts()
    )
    await finish(task_id, TaskStatus.FAILED, error=why)


async def _drive(
    ok: dict[str, SrpmStepResult],
    plan: Schedule,
    state: State,
    status: Callable[..., Awaitable[None]],
    build: Callable[[str, SrpmStepResult], Coroutine[Any, Any, None]],
) -> None:
    """Start and skip what olivine.domain.scheduling.next_moves says, until nothing waits."""
    waiting = set(ok)
    running: dict[str, asyncio.Task[None]] = {}
    while True:
        moves = next_moves(plan.deps, {n: s for n, (s, _) in state.items()}, waiting)
        for n in sorted([*moves.skip, *moves.start]):
            waiting.discard(n)
            if n in moves.skip:
                await status(n, ItemStatus.SKIPPED, moves.skip[n])
            else:
                running[n] = asyncio.create_task(build(n, ok[n]))
        if moves.skip or moves.start:
            continue  # a skip may decide a package that waits for the skipped one
        if not running:
            break
        done, _ = await workflow.wait(list(running.values()), return_when=asyncio.FIRST_COMPLETED)
        for n in [n for n, t in running.items() if t in done]:
            running.pop(n)
    for n in sorted(waiting):  # unreachable unless the order is inconsistent
        await status(n, ItemStatus.SKIPPED, "its dependencies never built")
