"""Imports as Temporal workflows: one package (Import) and many at once (ImportBatch).
Orchestration only: the activities call olivine.imports."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from olivine.errors import OlivineError
    from olivine.fetch.policy import FetchPolicy
    from olivine.imports import batches
    from olivine.imports.service import ProjectRef, run_import
    from olivine.projects.schema import ProjectFile
    from olivine.projects.service import ProjectService
    from olivine.services import Services
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.common import DEFAULT_RETRY, QUEUE, SHORT, TaskInput
    from olivine.workflows.tasks import run_task

IMPORT_TIMEOUT = timedelta(hours=2)  # a large lookaside over a slow link
BATCH_CONCURRENCY = 8


@dataclass
class BatchItemInput:
    item_id: int
    status: str
    reason: str | None = None


class ImportActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def all(self) -> list[Any]:
        return [self.import_package, self.batch_item]

    @activity.defn(name="import_package")
    def import_package(self, inp: TaskInput) -> dict[str, Any]:
        """params: project, package, ref?, srpm_sha256? (an uploaded SRPM), submitter_id?"""
        p = inp.params
        row = ProjectService(self.svc.db).get(p["project"])
        project = ProjectRef(row.id, ProjectFile.model_validate(row.spec))
        log = TaskLogWriter(self.svc.tasks, inp.task_id)
        try:
            with tempfile.TemporaryDirectory(prefix="olivine-srpm-") as tmp:
                srpm = None
                if p.get("srpm_sha256"):
                    name = p.get("srpm_name") or f"{p['package']}.src.rpm"
                    srpm = self.svc.store.download(p["srpm_sha256"], Path(tmp) / Path(name).name)
                result = run_import(
                    self.svc.db,
                    self.svc.store,
                    self.svc.forge,
                    project,
                    p["package"],
                    ref=p.get("ref"),
                    srpm=srpm,
                    submitter_id=p.get("submitter_id"),
                    task_id=inp.task_id,
                    log=log.line,
                    policy=FetchPolicy.from_settings(self.svc.settings),
                )
            log.line(f"import {result.status}: {result.nevr} at {result.forge_commit}")
            return result.to_dict()
        except OlivineError as e:
            log.line(f"import failed: {e.message}")
            raise  # final or retried by its `retryable` (workflows/interceptors.py)
        finally:
            log.close()

    @activity.defn(name="import_batch_item")
    def batch_item(self, inp: BatchItemInput) -> None:
        batches.set_item(self.svc.db, inp.item_id, inp.status, inp.reason)


@workflow.defn(name="Import")
class ImportWorkflow:
    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        async def body() -> dict[str, Any]:
            res: dict[str, Any] = await workflow.execute_activity(
                "import_package",
                inp,
                start_to_close_timeout=IMPORT_TIMEOUT,
                retry_policy=DEFAULT_RETRY,
            )
            return res

        return await run_task(inp.task_id, body)


def _reason(err: BaseException) -> str:
    cause: BaseException = err
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause  # type: ignore[attr-defined]
    return cause.message if isinstance(cause, ApplicationError) else str(cause)


@workflow.defn(name="ImportBatch")
class ImportBatchWorkflow:
    """params: items [{item_id, task_id, package}], project, submitter_id. Each item is an
    Import child workflow (ID `import-<task>`), at most BATCH_CONCURRENCY at a time."""

    @workflow.run
    async def run(self, inp: TaskInput) -> dict[str, Any]:
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def one(item: dict[str, Any]) -> dict[str, Any]:
            params = {
                "project": inp.params["project"],
                "package": item["package"],
                "submitter_id": inp.params.get("submitter_id"),
            }
            async with gate:
                try:
                    res: dict[str, Any] = await workflow.execute_child_workflow(
                        "Import",
                        TaskInput(item["task_id"], params),
                        id=f"import-{item['task_id']}",
                        task_queue=QUEUE,
                    )
                    status, reason = res["status"], None
                except Exception as e:  # a failed item does not stop the batch
                    status, reason, res = "failed", _reason(e), {}
            await workflow.execute_activity(
                "import_batch_item",
                BatchItemInput(item["item_id"], status, reason),
                start_to_close_timeout=SHORT,
                retry_policy=DEFAULT_RETRY,
            )
            return {
                "package": item["package"],
                "status": status,
                "error": reason,
                "nevr": res.get("nevr"),
                "task_id": item["task_id"],
            }

        async def body() -> dict[str, Any]:
            results = await asyncio.gather(*(one(i) for i in inp.params["items"]))
            counts: dict[str, int] = {}
            for r in results:
                counts[r["status"]] = counts.get(r["status"], 0) + 1
            return {"batch_id": inp.params["batch_id"], "counts": counts, "items": list(results)}

        return await run_task(inp.task_id, body)
