"""Sandboxed test workflows that call the provenance step the way workflows/builds.py will: the
module imported through `workflow.unsafe.imports_passed_through()`."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from olivine.signing.leaves import SignedRpmLeaf
    from olivine.workflows.provenance import Logged, ProvenanceResult, log_leaf, make_provenance


@workflow.defn(name="ProvenanceE2E")
class ProvenanceE2E:
    """Stands where the build workflow's last step will: make_provenance(build_id)."""

    @workflow.run
    async def run(self, build_id: int) -> ProvenanceResult:
        return await make_provenance(build_id)


@workflow.defn(name="SignedRpmE2E")
class SignedRpmE2E:
    """Stands where the signing workflow will enter each signed RPM in the log."""

    @workflow.run
    async def run(self, leaf: SignedRpmLeaf) -> Logged:
        return await log_leaf(leaf)
