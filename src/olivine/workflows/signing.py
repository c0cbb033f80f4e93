"""Signing in Temporal: the signer's activities (queue `olivine-sign` only), the repo-side steps
that need no key (queue `olivine-repo`), the signed publish the project's publisher runs, and the
`resign` and key-request workflows. Orchestration only: the work is in olivine.signing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from olivine.errors import OlivineError
    from olivine.services import Services
    from olivine.signing import service
    from olivine.signing.jobs import (
        AdoptInput,
        AdoptResult,
        KeyRequestInput,
        KeyRequestResult,
        PublishWait,
        RepomdInput,
        RepomdToSign,
        ResignInput,
        ResignResult,
        SigningPolicy,
        SignInput,
        SignResult,
    )
    from olivine.signing.keystore import KeyStore
    from olivine.signing.logfacts import LogFn, enter, repomd_leaves, signed_rpm_leaves
    from olivine.workflows.common import (
        DEFAULT_RETRY,
        QUEUE,
        REPO_QUEUE,
        SHORT,
        SIGN_QUEUE,
        FinishInput,
    )
    from olivine.workflows.tasks import error_message, run_task

SIGNER_WAIT = timedelta(minutes=10)  # no signing worker took the job: the step fails, saying so
SIGN_TIMEOUT = timedelta(hours=1)


def _domain(e: OlivineError) -> ApplicationError:
    return ApplicationError(e.message, type=type(e).__name__, non_retryable=not e.retryable)


class SignerActivities:
    """Served by the signing worker alone: it holds the KEK (through `keys`)."""

    def __init__(self, svc: Services, keys: KeyStore, log: LogFn | None = None) -> None:
        self.svc, self.keys, self.log = svc, keys, log  # log: the transparency log's append

    @activity.defn(name="sign_rpms")
    def sign_rpms(self, inp: SignInput) -> SignResult:
        try:
            out = service.sign_rpms(self.svc, self.keys, inp)
        except OlivineError as e:
            raise _domain(e) from e
        enter(self.log, signed_rpm_leaves(self.svc.db, self.svc.store, out.signature_ids))
        return out

    @activity.defn(name="sign_repomd")
    def sign_repomd(self, inp: RepomdInput) -> int:
        try:
            signed = service.sign_repomd(self.svc, self.keys, inp)
        except OlivineError as e:
            raise _domain(e) from e
        revs = [(r.revision_id, r.repomd_sha256) for r in inp.revisions]
        enter(self.log, repomd_leaves(self.svc.db, inp.project, revs))
        return signed

    @activity.defn(name="key_request")
    def key_request(self, inp: KeyRequestInput) -> KeyRequestResult:
        try:
            return service.run_key_request(self.svc, self.keys, inp)
        except OlivineError as e:
            raise _domain(e) from e

    def all(self) -> list[Any]:
        return [self.sign_rpms, self.sign_repomd, self.key_request]


class SigningRepoActivities:
    """The key-less steps, on the repo workers."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name="signing_policy")
    def policy(self, project: str) -> SigningPolicy:
        return service.policy(self.svc, project)

    @activity.defn(name="signing_adopt")
    def adopt(self, inp: AdoptInput) -> AdoptResult:
        return service.adopt(self.svc, inp)

    @activity.defn(name="signing_activate")
    def activate(self, revision_ids: list[int]) -> None:
        service.activate(self.svc, revision_ids)

    @activity.defn(name="resign_targets")
    def resign_targets(self, inp: ResignInput) -> list[int]:
        try:
            return service.resign_targets(self.svc, inp)
        except OlivineError as e:
            raise _domain(e) from e

    @activity.defn(name="resign_publish")
    async def resign_publish(self, inp: PublishWait) -> None:
        from olivine.workflows.publish import PublishRequest, request_publish

        req = PublishRequest(inp.artifact_ids, reason=f"resign (task {inp.task_id})")
        await request_publish(activity.client(), inp.project, req)

    @activity.defn(name="resign_published")
    def resign_published(self, inp: PublishWait) -> bool:
        return service.published(self.svc, inp.project, inp.artifact_ids)

    def all(self) -> list[Any]:
        return [
            self.policy,
            self.adopt,
            self.activate,
            self.resign_targets,
            self.resign_publish,
            self.resign_published,
        ]


def _opts(queue: str, timeout: timedelta = SHORT) -> dict[str, Any]:
    return {"task_queue": queue, "start_to_close_timeout": timeout, "retry_policy": DEFAULT_RETRY}


def _signer_opts() -> dict[str, Any]:
    return {**_opts(SIGN_QUEUE, SIGN_TIMEOUT), "schedule_to_start_timeout": SIGNER_WAIT}


async def _finish(
    task_id: int | None, status: str, error: str | None = None, result: dict[str, Any] | None = None
) -> None:
    if task_id is not None:
        await workflow.execute_activity(
            "task_finish", FinishInput(task_id, status, result, error), **_opts(QUEUE)
        )


def _why(e: BaseException) -> str:
    msg = error_message(e)
    if "ScheduleToStart" in msg or "timeout" in msg.lower():
        return (
            f"no signing worker took the job in {SIGNER_WAIT} (olivine worker --queue {SIGN_QUEUE})"
        )
    return msg


async def _sign_batch(policy: SigningPolicy, batch: Any) -> list[int]:
    signed: SignResult = await workflow.execute_activity(
        "sign_rpms",
        SignInput(
            policy.project,
            batch.artifact_ids,
            batch.full,
            policy.mode == "required",
            task_id=policy.task_id,
        ),
        result_type=SignResult,
        **_signer_opts(),
    )
    adopted: AdoptResult = await workflow.execute_activity(
        "signing_adopt",
        AdoptInput(policy.project, signed.signature_ids),
        result_type=AdoptResult,
        **_opts(REPO_QUEUE, SIGN_TIMEOUT),
    )
    return adopted.changed


async def publish_signed(
    project: str, batch: Any, timeout: timedelta, policy: SigningPolicy | None = None
) -> dict[str, Any]:
    """What the publisher runs for one batch: sign its RPMs (when the project has a default
    key), publish without moving the heads, sign each new repomd.xml, then move the heads. With
    `signing: required` a failed signature stops the publish and nothing unsigned is served.
    `policy`: read already (by repo_publish_unsigned)."""
    if policy is None:
        policy = await workflow.execute_activity(
            "signing_policy", project, result_type=SigningPolicy, **_opts(REPO_QUEUE)
        )
    if policy.refusal:
        raise ApplicationError(policy.refusal, non_retryable=True)
    publish = {**_opts(REPO_QUEUE, timeout)}
    if not policy.signs:
        out: dict[str, Any] = await workflow.execute_activity("repo_publish", batch, **publish)
        return out
    problems: list[str] = []
    try:
        out = await _signed_steps(policy, batch, publish, problems)
    except ActivityError as e:
        await _finish(policy.task_id, "failed", _why(e))
        raise
    if problems:  # `optional`: published, but what failed to sign is said
        await _finish(policy.task_id, "failed", "published unsigned: " + "; ".join(problems))
    else:
        await _finish(policy.task_id, "succeeded", result={"revisions": len(out["revisions"])})
    return out


async def _signed_steps(
    policy: SigningPolicy, batch: Any, publish: dict[str, Any], problems: list[str]
) -> Any:
    required = policy.mode == "required"
    try:
        changed = await _sign_batch(policy, batch)
        batch.artifact_ids = sorted(set(batch.artifact_ids) | set(changed))
    except ActivityError as e:
        if required:
            raise
        problems.append(f"RPMs: {_why(e)}")
    batch.hold_heads = True
    out = await workflow.execute_activity("repo_publish", batch, **publish)
    revs = [RepomdToSign(r["revision_id"], r["repomd_sha256"]) for r in out["revisions"]]
    if revs:
        try:
            await workflow.execute_activity(
                "sign_repomd", RepomdInput(policy.project, revs, policy.task_id), **_signer_opts()
            )
        except ActivityError as e:
            if required:  # the revisions stay made but unserved: nothing unsigned is published
                raise
            problems.append(f"repomd.xml: {_why(e)}")
        await workflow.execute_activity(
            "signing_activate", [r.revision_id for r in revs], **_opts(REPO_QUEUE)
        )
    return out


@workflow.defn(name="Resign")
class ResignWorkflow:
    """Re-sign with the default key what another key signed (or everything), adopt the signed
    files, and publish them; done when the `all` repo serves them."""

    @workflow.run
    async def run(self, inp: ResignInput) -> ResignResult:
        async def body() -> ResignResult:
            ids: list[int] = await workflow.execute_activity(
                "resign_targets", inp, **_opts(REPO_QUEUE)
            )
            if not ids:
                return ResignResult()
            sign = SignInput(
                inp.project, ids, imported=inp.imported, strict=True, task_id=inp.task_id
            )
            signed: SignResult = await workflow.execute_activity(
                "sign_rpms", sign, result_type=SignResult, **_signer_opts()
            )
            adopted: AdoptResult = await workflow.execute_activity(
                "signing_adopt",
                AdoptInput(inp.project, signed.signature_ids),
                result_type=AdoptResult,
                **_opts(REPO_QUEUE, SIGN_TIMEOUT),
            )
            done = PublishWait(inp.project, adopted.changed, inp.task_id)
            await workflow.execute_activity("resign_publish", done, **_opts(REPO_QUEUE))
            while not await workflow.execute_activity(
                "resign_published", done, **_opts(REPO_QUEUE)
            ):
                await workflow.sleep(1)
            return ResignResult(len(ids), signed.signed, signed.fingerprint)

        return await run_task(inp.task_id, body)


@workflow.defn(name="KeyRequest")
class KeyRequestWorkflow:
    """Make or import a key on the signer; the result is the key's public summary."""

    @workflow.run
    async def run(self, inp: KeyRequestInput) -> KeyRequestResult:
        async def body() -> KeyRequestResult:
            out: KeyRequestResult = await workflow.execute_activity(
                "key_request", inp, result_type=KeyRequestResult, **_signer_opts()
            )
            return out

        return await run_task(inp.task_id, body)
