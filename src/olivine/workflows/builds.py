"""Builds as Temporal workflows: one package (Build: SRPM, then one arch build per arch in
parallel on `olivine-build-<arch>`, then finish) and many in BuildRequires order (BuildBatch).
Orchestration only: the activities call olivine.builds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)

with workflow.unsafe.imports_passed_through():
    from olivine.workflows.build_activities import (
        ArchInput,
        ArchStepResult,
        ArchTasksInput,
        BuildActivities,
        BuildItemInput,
        FinishStepInput,
        MarkInput,
        OrderInput,
        Schedule,
        SrpmInput,
    )
    from olivine.workflows.common import (
        DEFAULT_RETRY,
        QUEUE,
        SHORT,
        FinishInput,
        LogInput,
        TaskInput,
        build_queue,
    )
    from olivine.workflows.tasks import error_message, run_task

__all__ = ["BuildActivities", "BuildBatchWorkflow", "BuildWorkflow"]

BUILD_TIMEOUT = timedelta(hours=6)
HEARTBEAT = timedelta(minutes=2)
WORKER_WAIT = 900  # seconds an arch build waits for a worker of its arch before failing
BATCH_CONCURRENCY = 8
# A build's own failure is final; a worker that died (heartbeat timeout) is retried.
BUILD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=4,
    non_retryable_error_types=DEFAULT_RETRY.non_retryable_error_types,
)


def _opts(timeout: timedelta = SHORT) -> dict[str, Any]:
    return {"start_to_close_timeout": timeout, "retry_policy": DEFAULT_RETRY}


def _no_worker(err: BaseException) -> bool:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, TimeoutError) and cause.type == TimeoutType.SCHEDULE_TO_START:
            return True
        cause = getattr(cause, "cause", None)
    return False


async def _log(task_id: int, text: str) -> None:
    await workflow.execute_activity("task_log", LogInput(task_id, text + "\n"), **_opts())


async def _arch_build(p: dict[str, Any], srpm: dict[str, Any], arch: str, task_id: int) -> dict:
    """One arch build as a child task on its arch's queue; a failure is a result, not raised."""
    wait = int(p.get("worker_wait", WORKER_WAIT))
    inp = ArchInput(task_id, p["build_id"], srpm["srpm_sha256"], srpm["srpm_name"], arch)
    try:
        res: dict[str, Any] = await workflow.execute_activity(
            "build_arch",
            inp,
            task_queue=build_queue(arch),
            start_to_close_timeout=BUILD_TIMEOUT,
            schedule_to_start_timeout=timedelta(seconds=wait),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=BUILD_RETRY,
        )
    except ActivityError as e:
        reason = (
            f"no worker: no {arch} worker took the build within {wait} s"
            if _no_worker(e)
            else error_message(e)
        )
        res = asdict(ArchStepResult(arch, [], reason))
    status = "succeeded" if not res["reason"] else "failed"
    if res["reason"] == "cancelled":
        status = "canceled"
    await workflow.execute_activity(
        "task_finish", FinishInput(task_id, status, result=res, error=res["reason"]), **_opts()
    )
    return res


@workflow.defn(name="Build")
class BuildWorkflow:
    """params: build_id, project, package, srpm_arch (the queue of the SRPM stage),
    worker_wait?, srpm? (a batch has made the SRPM already)."""

    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        p = inp.params

        async def body() -> dict[str, Any]:
            srpm: dict[str, Any] = p.get("srpm") or await _srpm_stage(inp.task_id, p)
            tasks: dict[str, int] = srpm.get("arch_tasks") or await workflow.execute_activity(
                "build_arch_tasks",
                ArchTasksInput(inp.task_id, p["build_id"], srpm["arches"]),
                **_opts(),
            )
            results = await asyncio.gather(
                *(_arch_build(p, srpm, a, tasks[a]) for a in srpm["arches"])
            )
            out: dict[str, Any] = await workflow.execute_activity(
                "build_finish",
                FinishStepInput(
                    inp.task_id,
                    p["build_id"],
                    srpm,
                    list(results),
                    p["project_id"],
                    p.get("submitter_id"),
                ),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=30),
                retry_policy=DEFAULT_RETRY,
            )
            return out

        try:
            return await run_task(inp.task_id, body)
        except (asyncio.CancelledError, CancelledError):
            await asyncio.shield(
                workflow.execute_activity(
                    "build_mark", MarkInput(p["build_id"], "cancelled", "cancelled"), **_opts()
                )
            )
            raise


async def _srpm_stage(task_id: int, p: dict[str, Any]) -> dict[str, Any]:
    wait = int(p.get("worker_wait", WORKER_WAIT))
    try:
        res: dict[str, Any] = await workflow.execute_activity(
            "build_srpm",
            SrpmInput(task_id, p["build_id"]),
            task_queue=build_queue(p["srpm_arch"]),
            start_to_close_timeout=BUILD_TIMEOUT,
            schedule_to_start_timeout=timedelta(seconds=wait),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=BUILD_RETRY,
        )
        return res
    except ActivityError as e:
        if not _no_worker(e):
            raise
        reason = f"no worker: no {p['srpm_arch']} worker took the SRPM build within {wait} s"
        await workflow.execute_activity(
            "build_mark", MarkInput(p["build_id"], "failed", reason), **_opts()
        )
        raise ApplicationError(reason, non_retryable=True) from None


@workflow.defn(name="BuildBatch")
class BuildBatchWorkflow:
    """params: batch_id, project, srpm_arch, worker_wait?, items [{item_id, package, build_id,
    task_id}]. SRPMs first, then each package's Build (ID `build-<build_id>`) once the builds it
    build-requires are published; cycles start together; a failed dependency skips."""

    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        p = inp.params
        items = {i["package"]: i for i in p["items"]}
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)
        state: dict[str, tuple[str, str | None]] = {}

        async def item_status(name: str, status: str, reason: str | None = None) -> None:
            state[name] = (status, reason)
            await workflow.execute_activity(
                "build_batch_item",
                BuildItemInput(items[name]["item_id"], status, reason),
                **_opts(),
            )

        async def srpm(name: str) -> dict[str, Any] | None:
            i = items[name]
            async with gate:
                try:
                    return await _srpm_stage(i["task_id"], {**p, "build_id": i["build_id"]})
                except (ActivityError, ApplicationError) as e:
                    await item_status(name, "failed", error_message(e))
                    await workflow.execute_activity(
                        "task_finish",
                        FinishInput(i["task_id"], "failed", error=error_message(e)),
                        **_opts(),
                    )
                    return None

        async def build(name: str, made: dict[str, Any]) -> None:
            i = items[name]
            params = {**p, "build_id": i["build_id"], "package": name, "srpm": made}
            params.pop("items", None)
            await item_status(name, "building")
            async with gate:
                try:
                    await workflow.execute_child_workflow(
                        "Build",
                        TaskInput(i["task_id"], params),
                        id=f"build-{i['build_id']}",
                        task_queue=QUEUE,
                    )
                    await item_status(name, "built")
                except Exception as e:  # a failed item does not stop the batch
                    await item_status(name, "failed", _reason(e))

        async def body() -> dict[str, Any]:
            made = dict(zip(items, await asyncio.gather(*(srpm(n) for n in items)), strict=True))
            ok = {n: s for n, s in made.items() if s is not None}
            plan: Schedule = await workflow.execute_activity(
                "build_batch_order", OrderInput(ok), result_type=Schedule, **_opts()
            )
            if plan.cycles:
                cycles = "; ".join(" ".join(c) for c in plan.cycles)
                await _log(inp.task_id, f"cycles, built together: {cycles}")
            await self._schedule(ok, plan, state, item_status, build)
            counts: dict[str, int] = {}
            for status, _ in state.values():
                counts[status] = counts.get(status, 0) + 1
            return {
                "batch_id": p["batch_id"],
                "counts": counts,
                "cycles": plan.cycles,
                "items": [{"package": n, "status": s, "reason": r} for n, (s, r) in state.items()],
            }

        return await run_task(inp.task_id, body)

    async def _schedule(
        self,
        ok: dict[str, Any],
        plan: Schedule,
        state: dict[str, tuple[str, str | None]],
        status: Callable[..., Awaitable[None]],
        build: Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]],
    ) -> None:
        waiting = set(ok)
        running: dict[str, asyncio.Task[None]] = {}
        while True:
            progressed = False
            for n in sorted(waiting):
                deps = plan.deps.get(n, [])
                bad = [d for d in deps if state.get(d, ("", None))[0] in ("failed", "skipped")]
                if bad:
                    waiting.discard(n)
                    progressed = True
                    await status(n, "skipped", f"dependency {', '.join(bad)} did not build")
                elif all(state.get(d, ("", None))[0] == "built" for d in deps):
                    waiting.discard(n)
                    progressed = True
                    running[n] = asyncio.create_task(build(n, ok[n]))
            if not running:
                if progressed:
                    continue
                break
            done, _ = await workflow.wait(
                list(running.values()), return_when=asyncio.FIRST_COMPLETED
            )
            for n in [n for n, t in running.items() if t in done]:
                running.pop(n)
        for n in sorted(waiting):  # unreachable unless the order is inconsistent
            await status(n, "skipped", "its dependencies never built")


def _reason(err: BaseException) -> str:
    cause: BaseException = err
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause  # type: ignore[attr-defined]
    return cause.message if isinstance(cause, ApplicationError) else str(cause)
