"""Publishing as a Temporal workflow: one publisher per project (`publish-<project>`) takes
publish requests as signals and batches them, so a project's repos change one revision at a time
without a lock service. Orchestration only: the activity calls olivine.repos.

Anyone who changes what a project's repos should hold (a finished build, `olivine rpm import`, a
project file with new filters) calls `request_publish`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

with workflow.unsafe.imports_passed_through():
    from olivine.errors import OlivineError
    from olivine.projects.service import ProjectService
    from olivine.repos.service import publish_project, rollback
    from olivine.services import Services
    from olivine.signing import service as signing
    from olivine.signing.jobs import SigningPolicy
    from olivine.tasks.service import TaskLogWriter
    from olivine.workflows.common import DEFAULT_RETRY, QUEUE, REPO_QUEUE
    from olivine.workflows.provenance import ProvenanceWorkflow, provenance_workflow_id
    from olivine.workflows.signing import publish_signed
    from olivine.workflows.tasks import error_message

PUBLISH_TIMEOUT = timedelta(minutes=30)
IDLE = timedelta(minutes=10)  # a publisher with nothing to do ends; the next request restarts it
RUNS_PER_HISTORY = 200  # then continue-as-new, to keep the workflow history small
ANSWER_WAIT = timedelta(hours=1)  # how long a requester waits for the publisher's answer
# Patch markers (workflow.patched): publishers started before each change replay the old way.
# the signing policy is read by the publish activity itself (one round trip for an unsigned
# project; a signing one goes on to the signed publish with that policy)
POLICY_IN_PUBLISH = "publish-reads-signing-policy"
# every requester is answered at once (one workflow task), not one signal after the other
ANSWERS_AT_ONCE = "publisher-answers-at-once"


@dataclass
class Tell:
    """A workflow the publisher signals `signal(arg)` once the request's RPMs are out (never
    on a failure): a build's batch, whose dependents then start without a round trip through
    the build."""

    workflow_id: str
    signal: str
    arg: str


@dataclass
class RollbackRequest:
    """Serve revision `to` of a repo again (one arch, or every arch that has it)."""

    repo: str
    to: int
    arch: str | None = None


@dataclass
class PublishRequest:
    artifact_ids: list[int] = field(default_factory=list)  # entered or left the project
    full: bool = False  # select every repo again (filters changed, or no hint)
    reason: str = ""
    submitter_id: int | None = None
    reply_to: str | None = None  # a workflow to signal `published` once the repos have them
    rollback: RollbackRequest | None = None  # a head move instead of a publish
    task_id: int | None = None  # the requester's task, where a rollback logs
    tell: list[Tell] = field(default_factory=list)
    # builds whose Provenance workflow the publish starts once it went out (unsigned projects;
    # the answer names those started, and their Builds start none themselves)
    provenance: list[int] = field(default_factory=list)


@dataclass
class RollbackBatch:
    project: str
    rollback: RollbackRequest
    task_id: int | None = None


@dataclass
class Published:
    """What the publisher signals each requester (`published`): its RPMs are out, or why not."""

    artifact_ids: list[int] = field(default_factory=list)
    error: str | None = None
    arches: list[str] = field(default_factory=list)  # of a rollback
    task_id: int | None = None  # the repo-publish task that did it
    provenance: list[int] = field(default_factory=list)  # builds whose Provenance it started


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
    reply_to: list[str] = field(default_factory=list)
    hold_heads: bool = False  # signed repos: the heads move once repomd.xml is signed
    tell: list[Tell] = field(default_factory=list)
    provenance: list[int] = field(default_factory=list)  # PublishRequest.provenance


@dataclass
class PublishOrPolicy:
    """What `repo_publish_unsigned` did: published (a project that signs nothing), or left
    the publish to the signed path, with the policy it read."""

    out: dict[str, Any] | None = None  # published, and every requester answered
    policy: SigningPolicy | None = None


def merge(project: str, requests: list[PublishRequest]) -> PublishBatch:
    ids = sorted({i for r in requests for i in r.artifact_ids})
    reasons = list(dict.fromkeys(r.reason for r in requests if r.reason))
    submitter = next((r.submitter_id for r in requests if r.submitter_id), None)
    replies = list(dict.fromkeys(r.reply_to for r in requests if r.reply_to))
    tell = [t for r in requests for t in r.tell]
    full = any(r.full for r in requests)
    provenance = sorted({b for r in requests for b in r.provenance})
    return PublishBatch(
        project, ids, full, reasons, submitter, replies, tell=tell, provenance=provenance
    )


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
        except OlivineError as e:  # final unless retryable (workflows/interceptors.py)
            log.line(f"publish failed: {e.message}")
            log.close()
            if not e.retryable:
                self.svc.tasks.finish(task_id, "failed", error=e.message)
            raise
        log.close()
        out = {
            "task_id": task_id,
            "revisions": [asdict(r) for r in result.revisions],
            "unchanged": len(result.unchanged),
        }
        self.svc.tasks.finish(task_id, "succeeded", result=out)
        return out

    @activity.defn(name="repo_publish_unsigned")
    async def publish_unsigned(self, batch: PublishBatch) -> PublishOrPolicy:
        """The signing policy, then, when the project signs nothing, the publish and the
        answers to its requesters (no round trip through the publisher's workflow)."""
        policy = await asyncio.to_thread(signing.policy, self.svc, batch.project)
        if policy.signs or policy.refusal:
            return PublishOrPolicy(policy=policy)
        out = await asyncio.to_thread(self.publish, batch)
        client = activity.client()
        await asyncio.gather(*(start_provenance(client, b) for b in batch.provenance))
        answer = Published(batch.artifact_ids, task_id=out.get("task_id"))
        answer.provenance = list(batch.provenance)
        sends = [client.get_workflow_handle(w).signal("published", answer) for w in batch.reply_to]
        sends += [
            client.get_workflow_handle(t.workflow_id).signal(t.signal, t.arg) for t in batch.tell
        ]
        for failed in await asyncio.gather(*sends, return_exceptions=True):
            if isinstance(failed, RPCError) and failed.status == RPCStatusCode.NOT_FOUND:
                activity.logger.info("a requester is gone: %s", failed)  # ended (canceled)
            elif failed is not None:  # retried: the publish again changes nothing, then answers
                raise failed
        return PublishOrPolicy(out=out)

    @activity.defn(name="repo_rollback")
    def rollback(self, batch: RollbackBatch) -> list[str]:
        """A head move, made by the publisher like every other change of what is served."""
        rb = batch.rollback
        log = TaskLogWriter(self.svc.tasks, batch.task_id) if batch.task_id else None
        arches = rollback(self.svc.db, batch.project, rb.repo, rb.to, rb.arch)
        if log is not None:
            log.line(
                f"{batch.project}/{rb.repo}: revision {rb.to} is current for {', '.join(arches)}"
            )
            log.close()
        return arches


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
            for req in [r for r in self._pending if r.rollback is not None]:
                self._pending.remove(req)
                await _rollback(inp.project, req)
            if not self._pending:
                continue
            batch = merge(inp.project, self._pending)
            self._pending = []
            batch.full = batch.full or after_failure  # a lost hint: select everything again
            error, task_id, answered = None, None, False
            try:
                if workflow.patched(POLICY_IN_PUBLISH):
                    out, answered = await _publish(inp.project, batch)
                elif workflow.patched("signed-publish"):  # publishers from before signing
                    out = await publish_signed(inp.project, batch, PUBLISH_TIMEOUT)
                else:
                    out = await workflow.execute_activity_method(
                        PublishActivities.publish,
                        batch,
                        task_queue=REPO_QUEUE,
                        start_to_close_timeout=PUBLISH_TIMEOUT,
                        retry_policy=DEFAULT_RETRY,
                    )
                after_failure, task_id = False, out.get("task_id")
            except (ActivityError, ApplicationError) as e:  # recorded in a task; serving on
                workflow.logger.warning("publish of %s failed: %s", inp.project, e)
                after_failure, error = True, error_message(e)
            if not answered:
                await _answer(batch, error, task_id)
            runs += 1
            if runs >= RUNS_PER_HISTORY:
                workflow.continue_as_new(PublisherInput(inp.project, self._pending))


class AwaitsPublisher:
    """Mixed into a workflow that asks its project's publisher for something (a build's RPMs,
    a publish, a rollback) with `reply_to` set: the publisher's `published` signal answers."""

    _answer: Published | None = None

    @workflow.signal(name="published")
    def published(self, answer: Published) -> None:
        self._answer = answer

    async def answer(self, project: str, failed: str = "") -> Published:
        """The answer; raised as the job's failure if the publish failed or never answered."""
        try:
            await workflow.wait_condition(lambda: self._answer is not None, timeout=ANSWER_WAIT)
        except TimeoutError:
            raise ApplicationError(
                f"{failed}the publisher of {project} did not answer within {ANSWER_WAIT}",
                non_retryable=True,
            ) from None
        assert self._answer is not None
        if self._answer.error:
            raise ApplicationError(f"{failed}{self._answer.error}", non_retryable=True)
        return self._answer


async def _publish(project: str, batch: PublishBatch) -> tuple[dict[str, Any], bool]:
    """The publish's result, and whether its requesters were answered already."""
    done = await workflow.execute_activity_method(
        PublishActivities.publish_unsigned,
        batch,
        task_queue=REPO_QUEUE,
        start_to_close_timeout=PUBLISH_TIMEOUT,
        retry_policy=DEFAULT_RETRY,
    )
    if done.out is not None:
        return done.out, True
    return await publish_signed(project, batch, PUBLISH_TIMEOUT, done.policy), False


async def _rollback(project: str, req: PublishRequest) -> None:
    assert req.rollback is not None
    answer = Published()
    try:
        answer.arches = await workflow.execute_activity_method(
            PublishActivities.rollback,
            RollbackBatch(project, req.rollback, req.task_id),
            task_queue=REPO_QUEUE,
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=DEFAULT_RETRY,
        )
    except ActivityError as e:
        answer.error = error_message(e)
    if req.reply_to:
        await _signal(req.reply_to, answer)


async def _signal(wf_id: str, answer: Published) -> None:
    try:
        await workflow.get_external_workflow_handle(wf_id).signal("published", answer)
    except Exception:  # the requester ended meanwhile (canceled): nobody to tell
        workflow.logger.info("requester %s is gone", wf_id)


async def _tell(t: Tell) -> None:
    try:
        await workflow.get_external_workflow_handle(t.workflow_id).signal(t.signal, t.arg)
    except Exception:  # ended meanwhile (a canceled batch): nobody to tell
        workflow.logger.info("workflow %s is gone", t.workflow_id)


async def _answer(batch: PublishBatch, error: str | None, task_id: int | None) -> None:
    """Signal every requester that asked to be told (a build waiting for its RPMs), and, when
    the publish went out, every workflow a requester named to be told too."""
    answer = Published(batch.artifact_ids, error, task_id=task_id)
    tells = [] if error else batch.tell
    if workflow.patched(ANSWERS_AT_ONCE):
        await asyncio.gather(
            *(_tell(t) for t in tells), *(_signal(w, answer) for w in batch.reply_to)
        )
        return
    for wf_id in batch.reply_to:
        await _signal(wf_id, answer)
    for t in tells:  # requests from before the marker name none
        await _tell(t)


async def start_provenance(client: Client, build_id: int) -> None:
    """A published build's Provenance workflow (left to run on its own: the statement is made
    once a signing worker takes its step); one started already (a retried publish) counts."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            ProvenanceWorkflow.run, build_id, id=provenance_workflow_id(build_id), task_queue=QUEUE
        )


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
