"""The job layer on the dev server: a cancel of a running build, a network failure retried
with backoff, a job committed by an API that died before starting it (the reconciler starts
it), a repeated Idempotency-Key, and the publisher batching requests."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from temporalio import activity
from temporalio.worker import Worker

from olivine.batches import service as batches
from olivine.builds.jobs import BuildInput, BuildRequest
from olivine.builds.records import get_build
from olivine.builds.service import submit_build, submit_build_batch
from olivine.builds.submit import record_build
from olivine.db.models import JobStart, ProjectArtifact, Task
from olivine.imports.jobs import ImportRequest
from olivine.imports.submit import submit_import
from olivine.jobs.cancel import cancel_task
from olivine.jobs.starter import reconcile
from olivine.projects.schema import ProjectFile
from olivine.workflows.build_activities import PublisherPort, SrpmInput
from olivine.workflows.common import QUEUE, build_queue
from olivine.workflows.publish import PublishRequest, request_publish
from tests.integration.builds.test_api_builds import SLEEPY
from tests.integration.imports.helpers import commit, init_repo, spec_text

from .conftest import Jobs, needs_bwrap, on_worker_loop, running_worker

pytestmark = [on_worker_loop]


def _project(jobs: Jobs, name: str, packages: list[str], **extra: Any) -> Any:
    spec = {
        "name": name,
        "dist": ".el9",
        "arches": ["x86_64"],
        "upstream": {"url": "file:///srv/{name}.git"},
        "buildroot": {"resolve": False},
        "packages": [{"name": p} for p in packages],
        **extra,
    }
    return jobs.project(ProjectFile.model_validate(spec))


@needs_bwrap
async def test_cancel_of_a_running_build_stops_it_and_says_canceled(
    jobs: Jobs, tmp_path: Path
) -> None:
    project = _project(jobs, "wfc", ["sleepy"])
    (tmp_path / "sleepy" / "SPECS").mkdir(parents=True)
    (tmp_path / "sleepy" / "SPECS" / "sleepy.spec").write_text(SLEEPY)
    jobs.pin(project, "sleepy", tmp_path / "sleepy")
    sub = await submit_build(jobs.ctx(), project, BuildRequest("sleepy"))
    arch_task: list[int] = []

    def sleeping() -> bool:
        for child in jobs.svc.tasks.children(sub.task_id):
            text = "".join(c.text for c in jobs.svc.tasks.read_log(child.id))
            if "sleeping now" in text:
                arch_task.append(child.id)
                return True
        return False

    await jobs.until(sleeping, 60)
    assert jobs.svc.tasks.status_of(sub.task_id)[0] == "running"
    asked = time.monotonic()
    await cancel_task(jobs.svc, jobs.ctx().client, sub.task_id)
    assert await jobs.finished(sub.task_id, 30) == "canceled"
    assert await jobs.finished(arch_task[0], 30) == "canceled"
    assert time.monotonic() - asked < 30  # the sandbox was stopped, not waited for
    await jobs.until(lambda: get_build(jobs.svc.db, sub.build_id).status == "canceled", 10)


class _Flaky(http.server.BaseHTTPRequestHandler):
    """A lookaside server that answers 503 to the first requests, then the blob."""

    blob = b""
    failures = 0

    def do_GET(self) -> None:
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.blob)))
        self.end_headers()
        self.wfile.write(self.blob)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def flaky_lookaside(blob: bytes, failures: int) -> Iterator[str]:
    handler = type("Flaky", (_Flaky,), {"blob": blob, "failures": failures})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _upstream(tmp_path: Path, blob: bytes) -> None:
    digest = hashlib.sha512(blob).hexdigest()
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    files = {
        "SPECS/hello.spec": spec_text(),
        ".hello.metadata": f"{digest} SOURCES/hello-1.0.tar.gz\n",
    }
    commit(repo, files, tag="imports/c9/hello-1.0-1.el9")


def _import_project(jobs: Jobs, tmp_path: Path, name: str, lookaside: str) -> Any:
    upstream = {
        "kind": "dist-git",
        "url": (tmp_path / "up").as_uri() + "/{name}.git",
        "branch": "c9",
        "lookaside": lookaside + "/{name}/{hash}",
    }
    return _project(jobs, name, ["hello"], upstream=upstream, target={"branch": "r9"})


async def _import(jobs: Jobs, project: Any) -> int:
    out = await submit_import(jobs.ctx(), project, ImportRequest("hello"))
    return out.task_id


async def test_a_network_failure_is_retried_with_backoff(jobs: Jobs, tmp_path: Path) -> None:
    blob = b"tarball\n" * 100
    _upstream(tmp_path, blob)
    with flaky_lookaside(blob, failures=2) as url:
        task_id = await _import(jobs, _import_project(jobs, tmp_path, "wfn", url))
        assert await jobs.finished(task_id, 60) == "succeeded"
    log = "".join(c.text for c in jobs.svc.tasks.read_log(task_id))
    assert log.count("import failed (will try again)") == 2 and "HTTP 503" in log
    assert "[attempt 1 of 5]" in log and "[attempt 2 of 5]" in log  # DEFAULT_RETRY's 5
    assert "import: attempt 2 of 5" in log and "import: attempt 3 of 5" in log
    assert (jobs.svc.tasks.get(task_id).result or {})["nevr"] == "hello-1.0-1.el9"


async def test_bad_input_fails_at_once(jobs: Jobs, tmp_path: Path) -> None:
    blob = b"tarball\n" * 100
    _upstream(tmp_path, blob)
    with flaky_lookaside(b"not the blob", failures=0) as url:  # a hash mismatch: final
        task_id = await _import(jobs, _import_project(jobs, tmp_path, "wfm", url))
        assert await jobs.finished(task_id, 30) == "failed"
    log = "".join(c.text for c in jobs.svc.tasks.read_log(task_id))
    assert log.count("import failed") == 1 and "[attempt 1 of 5]" in log
    assert "does not match" in (jobs.svc.tasks.get(task_id).error or "")


@needs_bwrap
async def test_the_reconciler_starts_a_job_whose_api_died_before_starting_it(
    jobs: Jobs, tmp_path: Path
) -> None:
    project = _project(jobs, "wfr", ["sleepy"])
    (tmp_path / "sleepy" / "SPECS").mkdir(parents=True)
    (tmp_path / "sleepy" / "SPECS" / "sleepy.spec").write_text(SLEEPY.replace("sleep 600", ""))
    jobs.pin(project, "sleepy", tmp_path / "sleepy")
    # the API committed the job and died: record_build without the launch that follows it
    out, start = await asyncio.to_thread(
        record_build, jobs.ctx("key-1"), project, BuildRequest("sleepy")
    )
    assert start is not None
    await asyncio.sleep(1)
    assert jobs.svc.tasks.status_of(out.task_id)[0] == "pending"
    # the client asks again with the same key: the same job, nothing new to start
    again, none = await asyncio.to_thread(
        record_build, jobs.ctx("key-1"), project, BuildRequest("sleepy")
    )
    assert again == out and none is None
    # a new API process starts: its reconciler finds the job and starts it
    started = await reconcile(jobs.svc.db, jobs.client, older_than=_zero())
    assert started == [f"build-{out.build_id}"]
    assert await jobs.finished(out.task_id, 60) == "succeeded"
    assert await reconcile(jobs.svc.db, jobs.client, older_than=_zero()) == []
    with jobs.svc.db.session() as s:
        row = s.scalar(select(JobStart).where(JobStart.task_id == out.task_id))
        assert row is not None and row.started_at is not None


def _zero() -> Any:
    from datetime import timedelta

    return timedelta(0)


async def test_the_publisher_batches_requests(idle_jobs: Jobs) -> None:
    """Requests that arrive while no publish can run are merged into one publish."""
    jobs = idle_jobs
    project = _project(jobs, "wfp", ["hello"])
    for n in range(6):  # no worker runs yet: the six requests wait in the publisher
        req = PublishRequest(full=True, reason=f"request {n}")
        await request_publish(jobs.client, project.name, req)
    async with running_worker(jobs.svc, jobs.client):
        await _published_all(jobs, project.id)


async def _published_all(jobs: Jobs, project_id: int) -> None:
    def publishes() -> list[Task]:
        with jobs.svc.db.session() as s:
            rows = s.scalars(select(Task).where(Task.kind == "repo-publish"))
            return [t for t in rows if t.project_id == project_id]

    await jobs.until(lambda: any(t.status == "succeeded" for t in publishes()), 30)
    await asyncio.sleep(1)
    done = publishes()
    assert len(done) == 1 and done[0].status == "succeeded"
    logs = "".join(c.text for t in done for c in jobs.svc.tasks.read_log(t.id))
    assert all(f"requested: request {n}" in logs for n in range(6))


@needs_bwrap
async def test_a_canceled_batch_says_so_for_every_unfinished_item(
    jobs: Jobs, tmp_path: Path
) -> None:
    project = _project(jobs, "wfcb", ["sleepy", "after"])
    for name, text in (
        ("sleepy", SLEEPY),
        ("after", SLEEPY.replace("Name: sleepy", "Name: after\nBuildRequires: sleepy")),
    ):
        (tmp_path / name / "SPECS").mkdir(parents=True)
        (tmp_path / name / "SPECS" / f"{name}.spec").write_text(text)
        jobs.pin(project, name, tmp_path / name)
    sub = await submit_build_batch(jobs.ctx(), project, ["sleepy", "after"])

    def building() -> bool:
        return any(i.status == "building" for i in batches.get(jobs.svc.db, sub.batch_id).items)

    await jobs.until(building, 60)
    await cancel_task(jobs.svc, jobs.ctx().client, sub.task_id or 0)
    assert await jobs.finished(sub.task_id or 0, 30) == "canceled"

    def all_canceled() -> bool:
        items = batches.get(jobs.svc.db, sub.batch_id).items
        return all(i.status == "canceled" for i in items)

    await jobs.until(all_canceled, 30)
    for item in batches.get(jobs.svc.db, sub.batch_id).items:
        assert await jobs.finished(item.task_id or 0, 30) == "canceled"


@activity.defn(name="build_srpm")
async def _srpm_on_a_dying_worker(inp: SrpmInput) -> None:
    """A worker that takes the SRPM build and is lost: it never heartbeats, never answers."""
    await asyncio.sleep(3600)


async def test_an_srpm_worker_lost_on_its_last_attempt_ends_the_build_failed(
    jobs: Jobs, tmp_path: Path
) -> None:
    """Every attempt's worker dies (a heartbeat timeout): the activity could not write the build
    row, so the workflow ends it failed, with the reason, and the task too."""
    project = _project(jobs, "wfl", ["sleepy"])
    (tmp_path / "sleepy" / "SPECS").mkdir(parents=True)
    (tmp_path / "sleepy" / "SPECS" / "sleepy.spec").write_text(SLEEPY)
    jobs.pin(project, "sleepy", tmp_path / "sleepy")
    out, start = await asyncio.to_thread(record_build, jobs.ctx(), project, BuildRequest("sleepy"))
    assert start is not None and isinstance(start.input, BuildInput)
    inp = dataclasses.replace(start.input, srpm_arch="lost", heartbeat=1)
    dying = Worker(
        jobs.client, task_queue=build_queue("lost"), activities=[_srpm_on_a_dying_worker]
    )
    async with dying:
        await jobs.client.start_workflow("Build", inp, id=start.workflow_id, task_queue=QUEUE)
        assert await jobs.finished(out.task_id, 90) == "failed"
    build = get_build(jobs.svc.db, out.build_id)
    assert build.status == "failed"
    assert "worker was lost" in (build.reason or "") and "last attempt" in (build.reason or "")
    assert "eartbeat" in (jobs.svc.tasks.get(out.task_id).error or "")


@dataclasses.dataclass(frozen=True)
class _UnreachablePublisher(PublisherPort):
    """The arch activity's way to the publisher, down: its finish must fall back."""

    asked: list[str] = dataclasses.field(default_factory=list)

    def request(self, project: str, req: PublishRequest) -> None:
        self.asked.append(project)
        raise ConnectionError("the publisher did not answer")


@needs_bwrap
async def test_a_finish_that_fails_in_the_arch_activity_is_made_by_build_finish(
    idle_jobs: Jobs, tmp_path: Path
) -> None:
    """A single-arch build's arch activity records the RPMs and asks the publisher itself; when
    that fails, build_finish does both again (idempotent): the build completes, published."""
    jobs = idle_jobs
    project = _project(jobs, "wff", ["quick"])
    (tmp_path / "quick" / "SPECS").mkdir(parents=True)
    quick = SLEEPY.replace("sleepy", "quick").replace("sleep 600", "true")
    (tmp_path / "quick" / "SPECS" / "quick.spec").write_text(quick)
    jobs.pin(project, "quick", tmp_path / "quick")
    port = _UnreachablePublisher(jobs.client, asyncio.get_running_loop())
    async with running_worker(jobs.svc, jobs.client, port):
        sub = await submit_build(jobs.ctx(), project, BuildRequest("quick"))
        assert await jobs.finished(sub.task_id, 90) == "succeeded"
    assert port.asked == ["wff"]  # the arch activity tried
    build = get_build(jobs.svc.db, sub.build_id)
    assert build.status == "complete"
    log = "".join(c.text for c in jobs.svc.tasks.read_log(sub.task_id))
    assert "published quick-1.0-1.el9" in log  # the publisher's answer, after build_finish
    with jobs.svc.db.session() as s:  # recorded once, though finished twice
        n = s.scalar(
            select(func.count())
            .select_from(ProjectArtifact)
            .where(ProjectArtifact.build_id == sub.build_id)
        )
    assert n == 2  # the SRPM and the noarch RPM
