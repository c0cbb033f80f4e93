"""The worker process: serves the task queues it is given until told to stop (SIGINT/SIGTERM)."""

from __future__ import annotations

import asyncio
import gc
import logging
import platform
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from olivine.builds.startup import prepare_worker
from olivine.config import Settings
from olivine.services import Services
from olivine.workflows.build_activities import PublisherPort
from olivine.workflows.client import connect
from olivine.workflows.common import QUEUE, REPO_QUEUE, SIGN_QUEUE, queues_for_arch
from olivine.workflows.registry import activities, interceptors, workflows

log = logging.getLogger("olivine.worker")
BUILD_QUEUE_PREFIX = "olivine-build-"
# Orchestration and repo activities are short DB/Temporal calls: they get their own slots so
# that builds holding every build slot never queue the bookkeeping of the builds finishing.
ORCHESTRATION_CONCURRENCY = 32
# Workflows run in Temporal's sandbox (its determinism checks stay on), with every module passed
# through rather than imported again for each workflow run: a batch starts a Build workflow per
# package, and re-importing olivine for each cost the workflow worker most of its time.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_all_modules()
)


# Young collections after this many allocations (CPython's default is 700).
GC_YOUNG = 20_000


def settle_gc() -> None:
    """Once everything is imported and wired: what exists now (modules, mappers, the Temporal
    SDK's protobuf classes) lives as long as the worker, so it moves out of the collector's
    way (gc.freeze), and young collections run less often. The cyclic collector is still on;
    it scanned those long-lived objects at every full collection, about 3% of a build
    worker's CPU (bench/build_batch.py)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


def queue_concurrency(queue: str, max_concurrent: int) -> int:
    """`max_concurrent` bounds the build queues only; the others get at least
    ORCHESTRATION_CONCURRENCY."""
    if queue.startswith(BUILD_QUEUE_PREFIX):
        return max_concurrent
    return max(max_concurrent, ORCHESTRATION_CONCURRENCY)


def host_arch() -> str:
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())


def default_queues(arch: str | None = None) -> list[str]:
    return [QUEUE, REPO_QUEUE, *queues_for_arch(arch or host_arch())]


async def run_worker(
    settings: Settings,
    queues: list[str],
    max_concurrent: int = 8,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve `queues` until SIGINT/SIGTERM, or until `stop` is set when one is given;
    `max_concurrent` activities at a time on each build queue (queue_concurrency)."""
    if any(q.startswith(BUILD_QUEUE_PREFIX) or q in (SIGN_QUEUE, QUEUE) for q in queues):
        # the build host of this instance (the signer's rpmsign and the imports' evaluations
        # on the orchestration queue run in sandboxes too); refuses to start (ConfigError)
        # when a secret lies where every sandbox can read it
        for note in prepare_worker(settings):
            (log.error if note.startswith("error:") else log.info)("%s", note)
    svc = Services.from_settings(settings)
    client = await connect(settings, attempts=120)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    slots = {q: queue_concurrency(q, max_concurrent) for q in queues}
    publisher = PublisherPort(client, asyncio.get_running_loop())
    with ThreadPoolExecutor(max_workers=sum(slots.values())) as pool:
        workers = []
        for q in queues:
            wfs = workflows() if q == QUEUE else []
            acts = activities(svc, q, publisher)
            if not wfs and not acts:
                continue
            workers.append(
                Worker(
                    client,
                    task_queue=q,
                    workflows=wfs,
                    workflow_runner=WORKFLOW_RUNNER,
                    activities=acts,
                    activity_executor=pool,
                    interceptors=interceptors(),
                    max_concurrent_activities=slots[q],
                )
            )
        log.info("worker serving %s", ", ".join(w.task_queue for w in workers))
        settle_gc()
        runs = [asyncio.create_task(w.run()) for w in workers]
        waiter = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([waiter, *runs], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in workers:
                await w.shutdown()
        for r in runs:
            if r in done and r.exception():
                raise r.exception()  # type: ignore[misc]
    svc.close()
