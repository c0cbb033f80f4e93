"""A module build as a Temporal workflow (`module-build-<id>`): plan the contexts, then for each
context its build groups in order, the components of a group in parallel as child Build
workflows (`build-<id>`, with the module's macros and the earlier groups' repository); a failed
component stops the later groups and names itself; last the final modulemd and a publish.
Orchestration only: the activities call olivine.modules."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from olivine.errors import OlivineError
    from olivine.modules import builder
    from olivine.modules.jobs import (
        ComponentOutcome,
        ModuleBuildInput,
        ModuleBuildResult,
        ModulePlanOut,
        OrderCheck,
        PlannedComponent,
        PlannedModuleContext,
    )
    from olivine.modules.order import check_cycles
    from olivine.services import Services
    from olivine.workflows.build_activities import SrpmInput
    from olivine.workflows.common import DEFAULT_RETRY, QUEUE, FinishInput, TaskInput, build_queue
    from olivine.workflows.publish import PublishRequest, request_publish
    from olivine.workflows.tasks import error_message, run_task

STEP = timedelta(minutes=10)
SRPM_TIMEOUT = timedelta(hours=6)
WORKER_WAIT = 900  # seconds an SRPM build waits for a worker (as the build workflow's)


def _final(e: OlivineError) -> ApplicationError:
    return ApplicationError(e.message, type=type(e).__name__, non_retryable=True)


class ModuleActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def all(self) -> list[Any]:
        return [self.plan, self.outcomes, self.check_order, self.fail, self.finish, self.publish]

    @activity.defn(name="module_plan")
    def plan(self, inp: ModuleBuildInput) -> ModulePlanOut:
        try:
            out = builder.plan_module_build(self.svc, inp.module_build_id)
        except OlivineError as e:
            builder.fail_module_build(self.svc, inp.module_build_id, e.message)
            raise _final(e) from e
        for ctx in out.contexts:
            self.svc.tasks.log(inp.task_id, f"context {ctx.nsvc}: {len(ctx.groups)} groups\n")
        return out

    @activity.defn(name="module_outcomes")
    def outcomes(self, outcomes: list[ComponentOutcome]) -> None:
        builder.record_outcomes(self.svc, outcomes)

    @activity.defn(name="module_check_order")
    def check_order(self, inp: OrderCheck) -> None:
        """The SRPMs' BuildRequires must not contradict the build order."""
        try:
            check_cycles(tuple(tuple(g) for g in inp.groups), inp.build_requires, inp.provides)
        except OlivineError as e:
            raise _final(e) from e

    @activity.defn(name="module_fail")
    def fail(self, inp: ModuleBuildInput, reason: str, status: str) -> None:
        builder.fail_module_build(self.svc, inp.module_build_id, reason, status)

    @activity.defn(name="module_finish")
    def finish(self, inp: ModuleBuildInput) -> ModuleBuildResult:
        try:
            return builder.finish_module_build(self.svc, inp.module_build_id)
        except OlivineError as e:
            builder.fail_module_build(self.svc, inp.module_build_id, e.message)
            raise _final(e) from e

    @activity.defn(name="module_publish")
    async def publish(self, inp: ModuleBuildInput) -> None:
        req = PublishRequest(
            full=True, reason=f"module build {inp.module_build_id}", submitter_id=inp.submitter_id
        )
        await request_publish(activity.client(), inp.project, req)


def _opts() -> dict[str, Any]:
    return {"start_to_close_timeout": STEP, "retry_policy": DEFAULT_RETRY}


async def _srpm(inp: ModuleBuildInput, c: PlannedComponent) -> dict[str, Any] | str:
    """The component's SRPM (with the module's macros), or why it could not be made."""
    wait = inp.worker_wait or WORKER_WAIT
    try:
        made: dict[str, Any] = await workflow.execute_activity(
            "build_srpm",
            SrpmInput(c.task_id, c.build_id),
            task_queue=build_queue(inp.srpm_arch),
            start_to_close_timeout=SRPM_TIMEOUT,
            schedule_to_start_timeout=timedelta(seconds=wait),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=DEFAULT_RETRY,
        )
        return made
    except ActivityError as e:
        reason = error_message(e)
        await workflow.execute_activity(
            "task_finish", FinishInput(c.task_id, "failed", error=reason), **_opts()
        )
        return reason


async def _component(
    inp: ModuleBuildInput, ctx: PlannedModuleContext, c: PlannedComponent, srpm: dict[str, Any]
) -> ComponentOutcome:
    params: dict[str, Any] = {
        "srpm": srpm,
        "project": inp.project,
        "project_id": inp.project_id,
        "srpm_arch": inp.srpm_arch,
        "submitter_id": inp.submitter_id,
        "build_id": c.build_id,
        "package": c.component,
    }
    if inp.worker_wait:
        params["worker_wait"] = inp.worker_wait
    try:
        await workflow.execute_child_workflow(
            "Build", TaskInput(c.task_id, params), id=f"build-{c.build_id}", task_queue=QUEUE
        )
        return ComponentOutcome(ctx.context_id, c.component, c.build_id)
    except Exception as e:  # the component's own failure: reported, the group finishes
        return ComponentOutcome(ctx.context_id, c.component, c.build_id, _innermost(e))


def _innermost(err: BaseException) -> str:
    """The message of the innermost cause (a child workflow's failure wraps its own)."""
    cause: BaseException = err
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause  # type: ignore[attr-defined]
    return cause.message if isinstance(cause, ApplicationError) else str(cause)


def _failure(outcomes: list[ComponentOutcome], nsvc: str, later: int) -> str:
    failed = "; ".join(f"component {o.component} failed: {o.reason}" for o in outcomes if o.reason)
    tail = f"; {later} later build group(s) not built" if later else ""
    return f"module {nsvc}: {failed}{tail}"


@workflow.defn(name="ModuleBuild")
class ModuleBuildWorkflow:
    @workflow.run
    async def run(self, inp: ModuleBuildInput) -> dict[str, Any]:
        async def body() -> dict[str, Any]:
            plan = await workflow.execute_activity_method(ModuleActivities.plan, inp, **_opts())
            for ctx in plan.contexts:
                await self._context(inp, ctx)
            result = await workflow.execute_activity_method(ModuleActivities.finish, inp, **_opts())
            await workflow.execute_activity_method(ModuleActivities.publish, inp, **_opts())
            return asdict(result)

        try:
            return await run_task(inp.task_id, body)
        except (asyncio.CancelledError, CancelledError):
            await asyncio.shield(
                workflow.execute_activity_method(
                    ModuleActivities.fail, args=[inp, "cancelled", "canceled"], **_opts()
                )
            )
            raise

    async def _context(self, inp: ModuleBuildInput, ctx: PlannedModuleContext) -> None:
        srpms = await self._srpms(inp, ctx)
        for i, group in enumerate(ctx.groups):
            outcomes = list(
                await asyncio.gather(*(_component(inp, ctx, c, srpms[c.component]) for c in group))
            )
            await self._stop_on_failure(inp, ctx, outcomes, len(ctx.groups) - i - 1)

    async def _srpms(
        self, inp: ModuleBuildInput, ctx: PlannedModuleContext
    ) -> dict[str, dict[str, Any]]:
        """Every component's SRPM first, then the build order checked against their
        BuildRequires (a cycle through them fails the build before anything is built)."""
        comps = [c for g in ctx.groups for c in g]
        results = await asyncio.gather(*(_srpm(inp, c) for c in comps))
        made = dict(zip([c.component for c in comps], results, strict=True))
        failed = [
            ComponentOutcome(ctx.context_id, c.component, c.build_id, r)
            for c, r in zip(comps, results, strict=True)
            if isinstance(r, str)
        ]
        await self._stop_on_failure(inp, ctx, failed, len(ctx.groups))
        ok = {n: m for n, m in made.items() if isinstance(m, dict)}
        check = OrderCheck(
            [[c.component for c in g] for g in ctx.groups],
            {n: m["build_requires"] for n, m in ok.items()},
            {n: m["provides"] for n, m in ok.items()},
        )
        try:
            await workflow.execute_activity_method(ModuleActivities.check_order, check, **_opts())
        except ActivityError as e:
            reason = f"module {ctx.nsvc}: {error_message(e)}"
            await workflow.execute_activity_method(
                ModuleActivities.fail, args=[inp, reason, "failed"], **_opts()
            )
            raise ApplicationError(reason, non_retryable=True) from None
        return ok

    async def _stop_on_failure(
        self,
        inp: ModuleBuildInput,
        ctx: PlannedModuleContext,
        outcomes: list[ComponentOutcome],
        later: int,
    ) -> None:
        await workflow.execute_activity_method(ModuleActivities.outcomes, outcomes, **_opts())
        if any(o.reason for o in outcomes):
            reason = _failure(outcomes, ctx.nsvc, later)
            await workflow.execute_activity_method(
                ModuleActivities.fail, args=[inp, reason, "failed"], **_opts()
            )
            raise ApplicationError(reason, non_retryable=True)
