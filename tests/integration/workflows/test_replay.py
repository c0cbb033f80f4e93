"""The workflows of this tree replay the histories the released code recorded
(tests/integration/histories.py says how they are recorded): a change to a workflow that would
break an in-flight run of the old code fails here, unless it sits behind `workflow.patched`."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.worker import Replayer

from olivine.worker import WORKFLOW_RUNNER
from olivine.workflows.registry import interceptors, workflows
from tests.integration.histories import KEPT, load

HISTORIES = sorted(KEPT.glob("*.json.gz"))


def test_histories_cover_the_job_kinds() -> None:
    """Every job kind's workflow has a recorded history (a new kind: record one)."""
    kinds = {p.name.split("-")[0] for p in HISTORIES}
    expected = {
        "ApplyProject", "Import", "ImportBatch", "Build", "BuildBatch", "Publisher", "Publish",
        "Rollback", "ModuleBuild", "KeyRequest", "Resign", "Provenance",
    }  # fmt: skip
    assert expected <= kinds, f"no recorded history of {sorted(expected - kinds)}"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.name for p in HISTORIES])
async def test_the_workflows_replay_a_recorded_history(path: Path) -> None:
    replayer = Replayer(
        workflows=workflows(), interceptors=interceptors(), workflow_runner=WORKFLOW_RUNNER
    )
    await replayer.replay_workflow(load(path))
