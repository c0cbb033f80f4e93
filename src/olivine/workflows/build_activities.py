"""The activities of the build workflows and their inputs: thin calls into olivine.builds
(steps, records, batches), each on the queue that can run it (build queues: SRPM and arch
builds; the orchestration queue: the rest)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from olivine.builds import batches, records
from olivine.builds.steps import (
    ArchStepResult,
    BuildFailed,
    SrpmStepResult,
    arch_step,
    finish_step,
    published_in_all,
    srpm_step,
)
from olivine.domain.buildorder import build_order
from olivine.errors import OlivineError
from olivine.fetch.policy import FetchPolicy
from olivine.services import Services
from olivine.tasks.service import TaskLogWriter
from olivine.workflows.publish import PublishRequest, request_publish


@dataclass
class SrpmInput:
    task_id: int
    build_id: int


@dataclass
class ArchInput:
    task_id: int
    build_id: int
    srpm_sha256: str
    srpm_name: str
    arch: str


@dataclass
class ArchTasksInput:
    task_id: int
    build_id: int
    arches: list[str]


@dataclass
class FinishStepInput:
    task_id: int
    build_id: int
    srpm: dict[str, Any]
    results: list[dict[str, Any]]
    project_id: int = 0
    submitter_id: int | None = None


@dataclass
class MarkInput:
    build_id: int
    status: str
    reason: str | None = None


@dataclass
class OrderInput:
    srpms: dict[str, dict[str, Any]]  # package -> SrpmStepResult as a dict


@dataclass
class BuildItemInput:
    item_id: int
    status: str
    reason: str | None = None


@dataclass
class Schedule:
    deps: dict[str, list[str]] = field(default_factory=dict)
    cycles: list[list[str]] = field(default_factory=list)


def _final(e: OlivineError) -> ApplicationError:
    return ApplicationError(e.message, type=type(e).__name__, non_retryable=True)


def _cancel_check(svc: Services, build_id: int, log: TaskLogWriter) -> Callable[[], bool]:
    """Polled by the sandbox a few times a second: heartbeats, flushes the log (a quiet build's
    last lines must not wait in the buffer), and says whether the build was cancelled. Temporal
    delivers a cancel only with a heartbeat reply (throttled to most of the heartbeat timeout),
    so the build task's status is read too, once a second: the workflow marks it at once."""
    task_id = records.get_build(svc.db, build_id).task_id
    last, seen = [0.0], [False]

    def check() -> bool:
        activity.heartbeat()
        if activity.is_cancelled():
            return True
        now = time.monotonic()
        if now - last[0] >= 1.0:
            last[0] = now
            log.flush()
            if task_id is not None:
                seen[0] = svc.tasks.status_of(task_id)[0] == "canceled"
        return seen[0]

    return check


class BuildActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def orchestration(self) -> list[Any]:
        return [self.arch_tasks, self.finish, self.mark, self.order, self.batch_item]

    def builder(self) -> list[Any]:
        return [self.srpm, self.arch]

    def _log(self, task_id: int) -> TaskLogWriter:
        return TaskLogWriter(self.svc.tasks, task_id)

    @activity.defn(name="build_srpm")
    def srpm(self, inp: SrpmInput) -> dict[str, Any]:
        log = self._log(inp.task_id)
        try:
            res = srpm_step(
                self.svc.db,
                self.svc.forge,
                self.svc.store,
                inp.build_id,
                log.line,
                _cancel_check(self.svc, inp.build_id, log),
            )
            log.line(f"SRPM {res.srpm_name}: arches {', '.join(res.arches)}")
            return {
                **asdict(res),
                "arch_tasks": self._arch_tasks(inp.task_id, inp.build_id, res.arches),
            }
        except OlivineError as e:
            log.line(f"build failed: {e.message}")
            raise _final(e) from e
        finally:
            log.close()

    @activity.defn(name="build_arch")
    def arch(self, inp: ArchInput) -> dict[str, Any]:
        self.svc.tasks.start(inp.task_id)  # running from when a worker of the arch has it
        log = self._log(inp.task_id)
        try:
            res = arch_step(
                self.svc.db,
                self.svc.store,
                inp.build_id,
                inp.srpm_sha256,
                inp.srpm_name,
                inp.arch,
                log.line,
                _cancel_check(self.svc, inp.build_id, log),
                task_id=inp.task_id,
                policy=FetchPolicy.from_settings(self.svc.settings),  # external repos
            )
            log.line(f"{inp.arch}: {res.reason or 'built ' + str(len(res.rpms)) + ' RPMs'}")
            return asdict(res)
        except (BuildFailed, OlivineError) as e:
            raise _final(e) from e
        finally:
            log.close()

    @activity.defn(name="build_arch_tasks")
    def arch_tasks(self, inp: ArchTasksInput) -> dict[str, int]:
        return self._arch_tasks(inp.task_id, inp.build_id, inp.arches)

    def _arch_tasks(self, task_id: int, build_id: int, arches: list[str]) -> dict[str, int]:
        """One child task per arch (a retried activity finds the ones it made)."""
        inp = ArchTasksInput(task_id, build_id, arches)
        parent = self.svc.tasks.get(inp.task_id)
        have = {t.arch: t.id for t in self.svc.tasks.children(inp.task_id) if t.arch}
        for arch in inp.arches:
            if arch not in have:
                have[arch] = self.svc.tasks.create(
                    "build-arch",
                    project_id=parent.project_id,
                    package_id=parent.package_id,
                    submitter_id=parent.submitter_id,
                    parent_id=inp.task_id,
                    arch=arch,
                    summary=f"{parent.summary} ({arch})",
                    params={"build_id": inp.build_id},
                )
                queue = f"olivine-build-{arch}"
                self.svc.tasks.log(have[arch], f"waiting for an {arch} worker (queue {queue})\n")
        return {a: have[a] for a in inp.arches}

    @activity.defn(name="build_finish")
    async def finish(self, inp: FinishStepInput) -> dict[str, Any]:
        """Record the build's RPMs in the project (a failed arch fails the build), then ask the
        project's publisher for them and wait until `all` holds them: a batch starts the
        builds that need them only then."""
        work = asyncio.ensure_future(asyncio.to_thread(self._finish, inp))
        while not work.done():
            activity.heartbeat()
            await asyncio.wait([work], timeout=5)
        out: dict[str, Any] = work.result()
        if not out["artifact_ids"]:
            return out
        await asyncio.to_thread(
            self.svc.tasks.log, inp.task_id, "publishing into the project's repositories\n"
        )
        req = PublishRequest(
            out["artifact_ids"], reason=f"build {inp.build_id}", submitter_id=inp.submitter_id
        )
        await request_publish(activity.client(), out["project"], req)
        while not await asyncio.to_thread(
            published_in_all, self.svc.db, inp.project_id, out["artifact_ids"]
        ):
            activity.heartbeat()
            await asyncio.sleep(0.05)
        await asyncio.to_thread(self.svc.tasks.log, inp.task_id, f"published {out['nevr']}\n")
        return out

    def _finish(self, inp: FinishStepInput) -> dict[str, Any]:
        log = self._log(inp.task_id)
        try:
            fields = {k: v for k, v in inp.srpm.items() if k != "arch_tasks"}
            return finish_step(
                self.svc.db,
                self.svc.store,
                inp.build_id,
                SrpmStepResult(**fields),
                [ArchStepResult(**r) for r in inp.results],
                log.line,
                task_id=inp.task_id,
                publish=False,  # the project's publisher does it
            )
        except OlivineError as e:
            log.line(f"build failed: {e.message}")
            raise _final(e) from e
        finally:
            log.close()

    @activity.defn(name="build_mark")
    def mark(self, inp: MarkInput) -> None:
        """A build ended outside its steps (cancelled, no worker): the build and its unfinished
        arch tasks say so."""
        records.finish_build(self.svc.db, inp.build_id, inp.status, inp.reason)
        task_id = records.get_build(self.svc.db, inp.build_id).task_id
        if task_id is None:
            return
        status = "canceled" if inp.status == "cancelled" else "failed"
        for child in self.svc.tasks.children(task_id):
            self.svc.tasks.finish(child.id, status, error=inp.reason)
            if child.arch and child.status not in ("succeeded", "failed", "canceled"):
                records.record_arch(
                    self.svc.db,
                    inp.build_id,
                    child.arch,
                    inp.status,
                    reason=inp.reason,
                    task_id=child.id,
                )

    @activity.defn(name="build_batch_order")
    def order(self, inp: OrderInput) -> Schedule:
        reqs = {n: s["build_requires"] for n, s in inp.srpms.items()}
        prov = {n: s["provides"] for n, s in inp.srpms.items()}
        o = build_order(reqs, prov)
        group = {p: g for g in o.groups for p in g}
        deps = {n: sorted(d for d in o.deps.get(n, ()) if d not in group[n]) for n in inp.srpms}
        return Schedule(deps, [list(c) for c in o.cycles])

    @activity.defn(name="build_batch_item")
    def batch_item(self, inp: BuildItemInput) -> None:
        batches.set_item(self.svc.db, inp.item_id, inp.status, inp.reason)
