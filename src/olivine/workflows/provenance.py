"""Provenance and log activities, served on `olivine-sign` only (the instance key lives there).

`make_provenance(build_id)` is the step the build workflow runs after a build completes (and
after its RPMs are signed, when signing is on): it builds the statement from what the database
records, signs it, stores it, and enters it in the log. The `log_*` activities let publishing
and signing enter their own facts through the same single sequencer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from olivine.services import Services
    from olivine.signing import attest, logstore
    from olivine.signing.instance import InstanceSigner
    from olivine.signing.leaves import Leaf, RepomdLeaf, RevocationLeaf, SignedRpmLeaf
    from olivine.workflows.common import DEFAULT_RETRY, SIGN_QUEUE

TIMEOUT = timedelta(minutes=10)
# No signing worker running: the step fails with that reason instead of waiting forever.
SIGNER_WAIT = timedelta(minutes=15)


@dataclass
class ProvenanceInput:
    build_id: int = 0


@dataclass
class ProvenanceResult:
    build_id: int = 0
    statement_sha256: str = ""
    envelope_sha256: str = ""
    sbom_sha256: str = ""
    leaf_index: int = -1


@dataclass
class Logged:
    index: int = -1
    size: int = 0
    leaf_hash: str = ""
    new: bool = False


class ProvenanceActivities:
    """Needs the instance key: `signer` loads it (from the KEK) on the signing worker only."""

    def __init__(self, svc: Services, signer: Callable[[], InstanceSigner]) -> None:
        self.svc = svc
        self._signer = signer

    def all(self) -> list[Callable[..., object]]:
        return [self.make, self.log_repomd, self.log_signed_rpm, self.log_revocation]

    @activity.defn(name="provenance_make")
    def make(self, inp: ProvenanceInput) -> ProvenanceResult:
        """Domain errors (a build that is not complete...) are final: the worker's interceptor
        (olivine.workflows.interceptors) makes them non-retryable."""
        svc = self.svc
        rec = attest.make_provenance(
            svc.db, svc.store, self._signer(), inp.build_id, svc.settings.base_url
        )
        return ProvenanceResult(
            rec.build_id, rec.statement_sha256, rec.envelope_sha256, rec.sbom_sha256, rec.leaf_index
        )

    def _append(self, leaf: Leaf) -> Logged:
        a = logstore.append(self.svc.db, leaf, self._signer())
        return Logged(a.index, a.size, a.leaf_hash, a.new)

    @activity.defn(name="log_repomd")
    def log_repomd(self, leaf: RepomdLeaf) -> Logged:
        return self._append(leaf)

    @activity.defn(name="log_signed_rpm")
    def log_signed_rpm(self, leaf: SignedRpmLeaf) -> Logged:
        return self._append(leaf)

    @activity.defn(name="log_revocation")
    def log_revocation(self, leaf: RevocationLeaf) -> Logged:
        return self._append(leaf)


async def make_provenance(build_id: int) -> ProvenanceResult:
    """Called from a workflow (the build's) once the build is complete (and signed)."""
    return await workflow.execute_activity_method(
        ProvenanceActivities.make,
        ProvenanceInput(build_id),
        task_queue=SIGN_QUEUE,
        start_to_close_timeout=TIMEOUT,
        schedule_to_start_timeout=SIGNER_WAIT,
        retry_policy=DEFAULT_RETRY,
    )


def _log_opts() -> dict[str, Any]:
    return {
        "task_queue": SIGN_QUEUE,
        "start_to_close_timeout": TIMEOUT,
        "schedule_to_start_timeout": SIGNER_WAIT,
        "retry_policy": DEFAULT_RETRY,
    }


async def log_leaf(leaf: Leaf) -> Logged:
    """Enter a fact in the transparency log from a workflow (publisher: each repomd revision;
    signing: each signed RPM, each revocation), through the one sequencer on the signer."""
    a = ProvenanceActivities
    if isinstance(leaf, RepomdLeaf):
        return await workflow.execute_activity_method(a.log_repomd, leaf, **_log_opts())
    if isinstance(leaf, SignedRpmLeaf):
        return await workflow.execute_activity_method(a.log_signed_rpm, leaf, **_log_opts())
    if isinstance(leaf, RevocationLeaf):
        return await workflow.execute_activity_method(a.log_revocation, leaf, **_log_opts())
    raise TypeError(f"no log activity for {type(leaf).__name__}")


@workflow.defn(name="Provenance")
class ProvenanceWorkflow:
    """A build's provenance, made once the build is published (and so signed): started by the
    Build workflow and left to run on its own (the build is done whether or not a signing
    worker is up yet; the statement appears when one takes the step)."""

    @workflow.run
    async def run(self, build_id: int) -> ProvenanceResult:
        return await make_provenance(build_id)


def provenance_workflow_id(build_id: int) -> str:
    return f"provenance-{build_id}"
