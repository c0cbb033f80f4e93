"""Publishing as a Temporal workflow: one publisher per project (`publish-<project>`) takes
publish requests as signals and batches them, so a project's repos change one revision at a time
without a lock service. Orchestration only: the activity calls olivine.repos.

Anyone who changes what a project's repos should hold (a finished build, `olivine rpm import`, a
project file with new filters) calls `request_publish`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from olivine.errors import OlivineError
    from olivine.projects.service import ProjectService
    from olivine.repos.service import publish_project
    from olivine.services import Services
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.common import QUEUE
    from olivine.workflows.signing import publish_signed

PUBLISH_TIMEOUT = timedelta(minutes=30)
IDLE = timedelta(minutes=10)  # a publisher with nothing to do ends; the next request restarts it
RUNS_PER_HISTORY = 200  # then continue-as-new, to keep the workflow history small


@dataclass
class PublishRequest:
    artifact_ids: list[int] = field(default_factory=list)  # entered or left the project
    full: bool = False  # select every repo again (filters changed, or no hint)
    reason: str = ""
    submitter_id: int | None = None


@dataclass
class PublisherInput:
    project: str
    pending: list[PublishRequest] = field(default_factory=list)  # carried over continue-as-new


@dataclass
class PublishBatch:
    project: str
    artifact_ids: list[int]
    full: bool
    reasons: list[str]
    submitter_id: int | None = None
    hold_heads: bool = False  # signed repos: the heads move once repomd.xml is signed


def merge(project: str, requests: list[PublishRequest]) -> PublishBatch:
    ids = sorted({i for r in requests for i in r.artifact_ids})
    reasons = list(dict.fromkeys(r.reason for r in requests if r.reason))
    submitter = next((r.submitter_id for r in requests if r.submitter_id), None)
    return PublishBatch(project, ids, any(r.full for r in requests), reasons, submitter)


class PublishActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="repo_publish")
    def publish(self, batch: PublishBatch) -> dict[str, Any]:
        project = ProjectService(self.svc.db).get(batch.project)
        what = "all repositories" if batch.full else f"{len(batch.artifact_ids)} changed RPMs"
        task_id = self.svc.tasks.create(
            "repo-publish",
            project_id=project.id,
            submitter_id=batch.submitter_id,
            summary=f"publish {batch.project}: {what}",
            params=asdict(batch),
        )
        self.svc.tasks.set_workflow(task_id, activity.info().workflow_id or "")
        self.svc.tasks.start(task_id)
        log = TaskLogWriter(self.svc.tasks, task_id)
        try:
            for reason in batch.reasons:
                log.line(f"requested: {reason}")
            result = publish_project(
                self.svc.db,
                self.svc.store,
                project.id,
                changed=None if batch.full else batch.artifact_ids,
                log=log.line,
                task_id=task_id,
                hold_heads=batch.hold_heads,
            )
            log.line(f"{len(result.revisions)} new revisions in {result.seconds:.2f}s")
        except OlivineError as e:
            log.line(f"publish failed: {e.message}")
            log.close()
            self.svc.tasks.finish(task_id, "failed", error=e.message)
            raise ApplicationError(e.message, type=type(e).__name__, non_retryable=True) from e
        log.close()
        out = {
            "task_id": task_id,
            "revisions": [asdict(r) for r in result.revisions],
            "unchanged": len(result.unchanged),
        }
        self.svc.tasks.finish(task_id, "succeeded", result=out)
        return out


@workflow.defn(name="Publisher")
class PublisherWorkflow:
    def __init__(self) -> None:
        self._pending: list[PublishRequest] = []

    @workflow.signal(name="publish")
    def request(self, req: PublishRequest) -> None:
        self._pending.append(req)

    @workflow.query(name="pending")
    def pending(self) -> int:
        return len(self._pending)

    @workflow.run
    async def run(self, inp: PublisherInput) -> dict[str, Any]:
        self._pending = [*inp.pending, *self._pending]
        runs = 0
        after_failure = False
        while True:
            try:
                await workflow.wait_condition(lambda: bool(self._pending), timeout=IDLE)
            except TimeoutError:
                if not self._pending:
                    return {"runs": runs}
            batch = merge(inp.project, self._pending)
            self._pending = []
            batch.full = batch.full or after_failure  # a lost hint: select everything again
            try:
                await publish_signed(inp.project, batch, PUBLISH_TIMEOUT)
                after_failure = False
            except (ActivityError, ApplicationError) as e:  # recorded in a task; serving on
                workflow.logger.warning("publish of %s failed: %s", inp.project, e)
                after_failure = True
            runs += 1
            if runs >= RUNS_PER_HISTORY:
                workflow.continue_as_new(PublisherInput(inp.project, self._pending))


def publisher_id(project: str) -> str:
    return f"publish-{project}"


async def request_publish(client: Client, project: str, req: PublishRequest) -> str:
    """Signal the project's publisher, starting it if it is not running (signal-with-start)."""
    wf_id = publisher_id(project)
    await client.start_workflow(
        "Publisher",
        PublisherInput(project),
        id=wf_id,
        task_queue=QUEUE,
        start_signal="publish",
        start_signal_args=[req],
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return wf_id
