"""The activities of the build workflows and their inputs: thin calls into olivine.builds
(steps, records) and olivine.domain.scheduling, each on the queue that can run it (build
queues: SRPM and arch builds; the orchestration queue: the rest). Errors are raised as they
are: the worker interceptor makes a domain error final unless it is `retryable`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import CancelledError

from olivine.builds import records
from olivine.builds.jobs import ArchStepResult, BuildResult, BuildStatus, SrpmStepResult
from olivine.builds.steps import (
    ImportFacts,
    arch_step,
    batch_facts,
    finish_step,
    one_sandbox_arches,
    srpm_step,
    whole_step,
)
from olivine.builds.tasks import ArchTasksWanted, arch_tasks
from olivine.domain.scheduling import Schedule, SrpmFacts, plan_batch
from olivine.errors import OlivineError
from olivine.fetch.policy import FetchPolicy
from olivine.jobs.status import CANCELED, TERMINAL, TaskStatus
from olivine.services import Services
from olivine.tasks.service import TaskLogWriter
from olivine.workflows.attempts import attempt_text, retried
from olivine.workflows.publish import PublishRequest, Tell, request_publish


@dataclass
class SrpmInput:
    task_id: int
    build_id: int


@dataclass
class ArchTasksInput:
    task_id: int
    build_id: int
    arches: list[str]


@dataclass
class FinishStepInput:
    task_id: int
    build_id: int
    srpm: SrpmStepResult
    results: list[ArchStepResult]
    project_id: int = 0
    submitter_id: int | None = None
    wait_publish: bool = True  # before the job layer finish also asked the publisher
    # the finish asks the project's publisher itself, to signal this workflow (and `tell`)
    reply_to: str | None = None
    tell: list[Tell] = field(default_factory=list)
    provenance: bool = False  # the publish starts the build's Provenance workflow


@dataclass
class ArchInput:
    task_id: int
    build_id: int
    srpm_sha256: str
    srpm_name: str
    arch: str
    finish_task: bool = False  # a success finishes the arch task here (no workflow round trip)
    # the build's only arch: a success also finishes the build and asks the publisher (as
    # build_finish would, with this input and the arch's result), when the worker can
    finish: FinishStepInput | None = None
    one_sandbox: bool = False  # the SRPM too, in the same sandbox run (builds/whole.py)


@dataclass
class MarkInput:
    build_id: int
    status: str
    reason: str | None = None
    open_only: bool = False  # fail the build only if no step ended it (its row keeps its end)


@dataclass
class OrderInput:
    srpms: dict[str, SrpmStepResult]
    failed: list[str] = field(default_factory=list)  # packages whose SRPM step failed
    project_id: int = 0


@dataclass
class ImportPlanInput:
    builds: dict[str, int]  # package -> its build in the batch
    tasks: dict[str, int] = field(default_factory=dict)  # package -> its build's task
    one_sandbox: bool = False  # plan single-arch builds made in one sandbox run


@dataclass
class ImportPlan:
    """A batch's order from its imports' spec facts; no schedule when a package has none that
    holds for its build (imported before they were kept, or with other macros)."""

    schedule: Schedule | None = None
    facts: dict[str, SrpmFacts] = field(default_factory=dict)
    # package -> its SRPM step, left to its one arch build (SrpmStepResult.one_sandbox)
    one_sandbox: dict[str, SrpmStepResult] = field(default_factory=dict)


@dataclass
class PublishAsk:
    """A finished build asks its project's publisher for its RPMs, and to be told."""

    task_id: int
    project: str
    artifact_ids: list[int]
    reason: str
    reply_to: str
    submitter_id: int | None = None


def _cancel_check(svc: Services, build_id: int, log: TaskLogWriter) -> Callable[[], bool]:
    """Polled by the sandbox a few times a second: says whether the build was canceled; once a
    second it heartbeats and flushes the log (a quiet build's last lines must not wait in the
    buffer). Temporal delivers a cancel only with a heartbeat reply (throttled to most of the
    heartbeat timeout, which is minutes), so the build task's status is read too, once a second:
    the workflow marks it canceled as soon as Temporal has accepted the cancel. (A heartbeat at
    every poll cost eight running builds 40 calls a second into the SDK for nothing.)"""
    task_id = records.get_build(svc.db, build_id).task_id
    last, seen = [0.0], [False]

    def check() -> bool:
        if activity.is_cancelled():
            return True
        now = time.monotonic()
        if now - last[0] >= 1.0:
            last[0] = now
            activity.heartbeat()
            log.flush()
            if task_id is not None:
                seen[0] = svc.tasks.status_of(task_id)[0] == CANCELED
        return seen[0]

    return check


def _final(e: Exception) -> bool:
    """Whether Temporal runs the activity no more after `e`: a domain error that is not
    retryable (the interceptor makes it final), or the last attempt of its retry policy."""
    if isinstance(e, CancelledError):
        return False  # the workflow records the cancel
    if isinstance(e, OlivineError) and not e.retryable:
        return True
    info = activity.info()
    most = info.retry_policy.maximum_attempts if info.retry_policy is not None else 0
    return bool(most) and info.attempt >= most


@dataclass(frozen=True)
class PublisherPort:
    """The worker's Temporal client and event loop: how a (sync, threaded) build activity asks
    a project's publisher."""

    client: Client
    loop: asyncio.AbstractEventLoop
    timeout: float = 60.0

    def request(self, project: str, req: PublishRequest) -> None:
        ask = request_publish(self.client, project, req)
        asyncio.run_coroutine_threadsafe(ask, self.loop).result(self.timeout)


def publish_request(inp: FinishStepInput, out: BuildResult) -> PublishRequest:
    return PublishRequest(
        out.artifact_ids,
        reason=f"build {inp.build_id}",
        submitter_id=inp.submitter_id,
        reply_to=inp.reply_to,
        tell=inp.tell,
        provenance=[inp.build_id] if inp.provenance and not out.scratch else [],
    )


class BuildActivities:
    def __init__(self, svc: Services, publisher: PublisherPort | None = None) -> None:
        self.svc = svc
        self.publisher = publisher  # None: a single-arch build's finish stays build_finish

    def orchestration(self) -> list[Callable[..., Any]]:
        return [self.arch_tasks, self.finish, self.mark, self.order, self.publish, self.import_plan]

    def builder(self) -> list[Callable[..., Any]]:
        return [self.srpm, self.arch]

    def _log(self, task_id: int) -> TaskLogWriter:
        log = TaskLogWriter(self.svc.tasks, task_id)
        if retried():  # a retried activity says so: "attempt 2 of 5"
            log.line(f"{activity.info().activity_type}: {attempt_text()}")
        return log

    @activity.defn(name="build_srpm")
    def srpm(self, inp: SrpmInput) -> SrpmStepResult:
        log = self._log(inp.task_id)
        try:
            check = _cancel_check(self.svc, inp.build_id, log)
            res = srpm_step(
                self.svc.db, self.svc.forge, self.svc.store, inp.build_id, log.line, check
            )
            log.line(f"SRPM {res.srpm_name}: arches {', '.join(res.arches)}")
            res.arch_tasks = self._arch_tasks(inp.task_id, inp.build_id, res.arches)
            return res
        except Exception as e:
            reason = str(getattr(e, "message", e))
            log.line(f"build failed: {reason}")
            if _final(e):  # the build row ends too (no other step will write it)
                records.fail_if_open(self.svc.db, inp.build_id, reason)
            raise
        finally:
            log.close()

    @activity.defn(name="build_arch")
    def arch(self, inp: ArchInput) -> ArchStepResult:
        self.svc.tasks.start(inp.task_id)  # running from when a worker of the arch has it
        log = self._log(inp.task_id)
        try:
            res = self._arch_step(inp, log)
            log.line(f"{inp.arch}: {res.reason or 'built ' + str(len(res.rpms)) + ' RPMs'}")
        finally:
            log.close()
        if inp.finish_task and not res.reason:
            result = {"arch": res.arch, "rpms": res.rpms, "reason": res.reason}
            self.svc.tasks.finish(inp.task_id, TaskStatus.SUCCEEDED, result=result)
        if inp.finish is not None and not res.reason:
            fin = inp.finish if res.srpm is None else replace(inp.finish, srpm=res.srpm)
            res.finished = self._finish_here(fin, res)
        return res

    def _arch_step(self, inp: ArchInput, log: TaskLogWriter) -> ArchStepResult:
        check = _cancel_check(self.svc, inp.build_id, log)
        policy = FetchPolicy.from_settings(self.svc.settings)  # external repos
        svc = self.svc
        if inp.one_sandbox:
            return whole_step(
                svc.db, svc.forge, svc.store, inp.build_id, inp.arch, log.line, check,
                task_id=inp.task_id, policy=policy,
            )  # fmt: skip
        return arch_step(
            svc.db, svc.store, inp.build_id, inp.srpm_sha256, inp.srpm_name, inp.arch,
            log.line, check, task_id=inp.task_id, policy=policy,
        )  # fmt: skip

    def _finish_here(self, fin: FinishStepInput, res: ArchStepResult) -> BuildResult | None:
        """The build's finish and its publish request, without a round trip through the
        workflow. Any failure leaves both to build_finish (idempotent), which reports it."""
        if self.publisher is None or not fin.reply_to:
            return None
        fin = replace(fin, results=[res])
        try:
            out = self._finish(fin)
            if out.artifact_ids:
                self.svc.tasks.log(fin.task_id, "publishing into the project's repositories\n")
                self.publisher.request(out.project, publish_request(fin, out))
            return out
        except Exception as e:  # build_finish runs it again, and says why if it fails
            activity.logger.info("finish of build %s left to build_finish: %s", fin.build_id, e)
            return None

    @activity.defn(name="build_arch_tasks")
    def arch_tasks(self, inp: ArchTasksInput) -> dict[str, int]:
        return self._arch_tasks(inp.task_id, inp.build_id, inp.arches)

    def _arch_tasks(self, task_id: int, build_id: int, arches: list[str]) -> dict[str, int]:
        """One child task per arch (a retried activity finds the ones it made)."""
        return arch_tasks(self.svc.db, [ArchTasksWanted(task_id, build_id, tuple(arches))])[task_id]

    @activity.defn(name="build_finish")
    async def finish(self, inp: FinishStepInput) -> BuildResult:
        """Record the build's RPMs in the project (a failed arch fails the build), and ask the
        project's publisher for them, to answer `reply_to` (before FINISH_ASKS_PUBLISHER the
        workflow asked, with build_publish)."""
        work = asyncio.ensure_future(asyncio.to_thread(self._finish, inp))
        while not work.done():
            activity.heartbeat()
            await asyncio.wait([work], timeout=5)
        out = work.result()
        if inp.reply_to and out.artifact_ids:
            await asyncio.to_thread(
                self.svc.tasks.log, inp.task_id, "publishing into the project's repositories\n"
            )
            await request_publish(activity.client(), out.project, publish_request(inp, out))
        elif inp.wait_publish and out.artifact_ids:  # a workflow from before the job layer
            req = PublishRequest(out.artifact_ids, reason=f"build {inp.build_id}")
            await request_publish(activity.client(), out.project, req)
        return out

    def _finish(self, inp: FinishStepInput) -> BuildResult:
        log = self._log(inp.task_id)
        try:
            out = finish_step(
                self.svc.db,
                self.svc.store,
                inp.build_id,
                inp.srpm,
                inp.results,
                log.line,
                task_id=inp.task_id,
            )
            return BuildResult(**out)
        except Exception as e:
            log.line(f"build failed: {getattr(e, 'message', e)}")
            raise
        finally:
            log.close()

    @activity.defn(name="build_publish")
    async def publish(self, inp: PublishAsk) -> str:
        await asyncio.to_thread(
            self.svc.tasks.log, inp.task_id, "publishing into the project's repositories\n"
        )
        req = PublishRequest(
            inp.artifact_ids,
            reason=inp.reason,
            submitter_id=inp.submitter_id,
            reply_to=inp.reply_to,
        )
        return await request_publish(activity.client(), inp.project, req)

    @activity.defn(name="build_mark")
    def mark(self, inp: MarkInput) -> None:
        """A build ended outside its steps (canceled, no worker, a worker lost): the build and
        its unfinished arch tasks say so."""
        if inp.open_only:
            records.fail_if_open(self.svc.db, inp.build_id, inp.reason or "failed")
            return
        status = BuildStatus(CANCELED if inp.status in ("cancelled", CANCELED) else inp.status)
        records.finish_build(self.svc.db, inp.build_id, status, inp.reason)
        task_id = records.get_build(self.svc.db, inp.build_id).task_id
        if task_id is None:
            return
        task_status = TaskStatus.CANCELED if status == CANCELED else TaskStatus.FAILED
        for child in self.svc.tasks.children(task_id):
            self.svc.tasks.finish(child.id, task_status, error=inp.reason)
            if child.arch and child.status not in TERMINAL:
                records.record_arch(
                    self.svc.db,
                    inp.build_id,
                    child.arch,
                    status,
                    reason=inp.reason,
                    task_id=child.id,
                )

    @activity.defn(name="build_batch_order")
    def order(self, inp: OrderInput) -> Schedule:
        made = {n: SrpmFacts(s.build_requires, s.provides) for n, s in inp.srpms.items()}
        known = {n: records.built_names(self.svc.db, inp.project_id, n) for n in inp.failed}
        return plan_batch(made, inp.failed, known)

    @activity.defn(name="build_batch_import_plan")
    def import_plan(self, inp: ImportPlanInput) -> ImportPlan:
        found = batch_facts(self.svc.db, inp.builds)
        known = {n: f for n, f in found.items() if f is not None}
        if len(known) < len(found):
            return ImportPlan()
        facts = {n: f.srpm for n, f in known.items()}
        plan = ImportPlan(plan_batch(facts), facts)
        if inp.one_sandbox:
            plan.one_sandbox = self._one_sandbox(inp, known)
        return plan

    def _one_sandbox(
        self, inp: ImportPlanInput, known: dict[str, ImportFacts]
    ) -> dict[str, SrpmStepResult]:
        """The batch's builds made in one sandbox run each, with their arch tasks (made here,
        in one transaction): what the SRPM step would have said, from the import's facts."""
        arches = one_sandbox_arches(self.svc.db, {n: inp.builds[n] for n in inp.tasks}, known)
        wanted = [ArchTasksWanted(inp.tasks[n], inp.builds[n], (a,)) for n, a in arches.items()]
        tasks = arch_tasks(self.svc.db, wanted)
        out = {}
        for name, arch in arches.items():
            f = known[name].srpm
            out[name] = SrpmStepResult(
                "", "", [arch], arch == "noarch", "", {}, f.build_requires, f.provides,
                tasks[inp.tasks[name]], one_sandbox=True,
            )  # fmt: skip
        return out
