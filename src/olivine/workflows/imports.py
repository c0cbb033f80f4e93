"""Imports as Temporal workflows: one package (Import) and many at once (ImportBatch).
Orchestration only: the activity calls olivine.imports.service.run_import."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import CancelledError

with workflow.unsafe.imports_passed_through():
    from olivine.batches.service import BatchItemRef, ItemStatus
    from olivine.errors import OlivineError
    from olivine.fetch.policy import FetchPolicy
    from olivine.imports.jobs import (
        ImportBatchInput,
        ImportBatchResult,
        ImportInput,
        ImportOutcome,
    )
    from olivine.imports.service import ImportResult, ProjectRef, run_import
    from olivine.jobs.status import TaskStatus
    from olivine.projects.catalog import project_file
    from olivine.projects.service import ProjectService
    from olivine.services import Services
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.attempts import attempt_text, retried
    from olivine.workflows.batches import report_import
    from olivine.workflows.common import DEFAULT_RETRY, QUEUE
    from olivine.workflows.tasks import error_message, finish, run_task

BATCH_CONCURRENCY = 8


class ImportActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def all(self) -> list[Callable[..., Any]]:
        return [self.import_package]

    @activity.defn(name="import_package")
    def import_package(self, inp: ImportInput) -> ImportResult:
        p = inp.resolved()
        row = ProjectService(self.svc.db).get(p.project)
        project = ProjectRef(row.id, project_file(row))
        log = TaskLogWriter(self.svc.tasks, p.task_id)
        if retried():
            log.line(f"import: {attempt_text()}")
        try:
            with tempfile.TemporaryDirectory(prefix="olivine-srpm-") as tmp:
                srpm = None
                if p.srpm_sha256:
                    name = Path(p.srpm_name or f"{p.package}.src.rpm").name
                    srpm = self.svc.store.download(p.srpm_sha256, Path(tmp) / name)
                result = run_import(
                    self.svc.db,
                    self.svc.store,
                    self.svc.forge,
                    project,
                    p.package,
                    ref=p.ref,
                    srpm=srpm,
                    submitter_id=p.submitter_id,
                    task_id=p.task_id,
                    log=log.line,
                    policy=FetchPolicy.from_settings(self.svc.settings),
                )
            log.line(f"import {result.status}: {result.nevr} at {result.forge_commit}")
            return result
        except OlivineError as e:
            again = " (will try again)" if e.retryable else ""
            log.line(f"import failed{again}: {e.message} [{attempt_text()}]")
            raise  # final or retried by its `retryable` (workflows/interceptors.py)
        finally:
            log.close()


@workflow.defn(name="Import")
class ImportWorkflow:
    @workflow.run
    async def run(self, inp: ImportInput) -> ImportResult:
        p = inp.resolved()

        async def body() -> ImportResult:
            return await workflow.execute_activity_method(
                ImportActivities.import_package,
                p,
                start_to_close_timeout=timedelta(seconds=p.timeout),
                retry_policy=DEFAULT_RETRY,
            )

        return await run_task(p.task_id, body)


CANCEL_ENDS_ITEMS = "canceled-batch-ends-its-items"


@workflow.defn(name="ImportBatch")
class ImportBatchWorkflow:
    """Each item is an Import child workflow (ID `import-<task>`), at most BATCH_CONCURRENCY
    at a time; a failed item does not stop the batch."""

    @workflow.run
    async def run(self, inp: ImportBatchInput) -> ImportBatchResult:
        p = inp.resolved()
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)
        done: set[str] = set()

        async def one(item: BatchItemRef) -> ImportOutcome:
            res: ImportResult | None = None
            async with gate:
                try:
                    res = await workflow.execute_child_workflow(
                        ImportWorkflow.run,
                        p.item_input(item),
                        id=f"import-{item.task_id}",
                        task_queue=QUEUE,
                    )
                    status: str = res.status
                    reason = None
                except Exception as e:  # a failed item does not stop the batch
                    status, reason = ItemStatus.FAILED.value, error_message(e)
            await report_import(item.item_id, status, reason)
            done.add(item.package)
            nevr = res.nevr if res else None
            return ImportOutcome(item.package, status, reason, nevr, item.task_id)

        async def body() -> ImportBatchResult:
            results = await asyncio.gather(*(one(i) for i in p.items))
            done.update(r.package for r in results)
            counts: dict[str, int] = {}
            for r in results:
                counts[r.status] = counts.get(r.status, 0) + 1
            return ImportBatchResult(p.batch_id, counts, list(results))

        try:
            return await run_task(p.task_id, body)
        except (asyncio.CancelledError, CancelledError):
            if workflow.patched(CANCEL_ENDS_ITEMS):
                left = [i for i in p.items if i.package not in done]
                await asyncio.shield(_cancel_items(left))
            raise


async def _cancel_items(items: list[BatchItemRef]) -> None:
    for i in items:
        await report_import(i.item_id, ItemStatus.CANCELED.value, "canceled")
        await finish(i.task_id, TaskStatus.CANCELED, error="canceled")
