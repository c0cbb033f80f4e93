"""The `Publish` and `Rollback` job workflows: ask the project's publisher (a signal, through
an activity) and wait for its `published` signal, then record the outcome in the task."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from olivine.repos.jobs import RepoJobInput, RepoJobResult
    from olivine.services import Services
    from olivine.workflows.common import DEFAULT_RETRY, SHORT
    from olivine.workflows.publish import (
        AwaitsPublisher,
        PublishRequest,
        RollbackRequest,
        request_publish,
    )
    from olivine.workflows.tasks import log, run_task


@dataclass
class RepoAsk:
    project: str
    request: PublishRequest


class RepoJobActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="repo_request")
    async def request(self, inp: RepoAsk) -> str:
        """Signal-with-start the project's publisher."""
        return await request_publish(activity.client(), inp.project, inp.request)


async def _ask(inp: RepoJobInput, req: PublishRequest) -> None:
    await workflow.execute_activity_method(
        RepoJobActivities.request,
        RepoAsk(inp.project, req),
        start_to_close_timeout=SHORT,
        retry_policy=DEFAULT_RETRY,
    )


@workflow.defn(name="Publish")
class PublishWorkflow(AwaitsPublisher):
    @workflow.run
    async def run(self, inp: RepoJobInput) -> RepoJobResult:
        async def body() -> RepoJobResult:
            req = PublishRequest(full=True, reason=inp.reason, submitter_id=inp.submitter_id)
            req.reply_to = workflow.info().workflow_id
            await _ask(inp, req)
            answer = await self.answer(inp.project)
            await log(inp.task_id, f"published by task {answer.task_id}")
            return RepoJobResult(inp.project, publish_task_id=answer.task_id)

        return await run_task(inp.task_id, body)


@workflow.defn(name="Rollback")
class RollbackWorkflow(AwaitsPublisher):
    @workflow.run
    async def run(self, inp: RepoJobInput) -> RepoJobResult:
        async def body() -> RepoJobResult:
            req = PublishRequest(reason="rollback", submitter_id=inp.submitter_id)
            req.rollback = RollbackRequest(inp.repo, inp.to, inp.arch)
            req.reply_to, req.task_id = workflow.info().workflow_id, inp.task_id
            await _ask(inp, req)
            answer = await self.answer(inp.project)
            return RepoJobResult(inp.project, inp.repo, inp.to, answer.arches)

        return await run_task(inp.task_id, body)
