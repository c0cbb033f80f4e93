"""The job layer through HTTP: one batches API for both kinds (and the old paths as aliases),
Idempotency-Key on submits, a cancel that Temporal cannot take answered 503 with the task
unchanged, and a workflow started with the input shape of before the job layer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.imports.test_api_imports import seed, wait_task

from olivine.api.temporal import TemporalConnection
from olivine.config import Settings
from olivine.supervisor import free_port
from olivine.workflows.client import connect


def test_one_batch_api_for_imports_with_old_paths_as_aliases(stack: Stack, tmp_path: Path) -> None:
    seed(stack, tmp_path, "jb1")
    h = stack.as_(stack.admin_token)
    r = stack.client.post(
        "/api/v1/projects/jb1/import-batch", headers=h, json={"packages": ["hello", "broken"]}
    )
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["kind"] == "import" and started["counts"] == {"pending": 2}
    wait_task(stack, started["task_id"])
    bid = started["batch_id"]
    one = stack.client.get(f"/api/v1/batches/{bid}", headers=h).json()
    assert {i["package"]: i["status"] for i in one["items"]} == {
        "hello": "imported",
        "broken": "failed",
    }
    for alias in ("batches", "import-batches"):
        assert stack.client.get(f"/api/v1/projects/jb1/{alias}/{bid}", headers=h).json() == one
    assert stack.client.get(f"/api/v1/projects/el9x/batches/{bid}", headers=h).status_code == 404
    listed = stack.client.get("/api/v1/projects/jb1/batches", headers=h).json()
    assert [b["batch_id"] for b in listed] == [bid] and listed[0]["kind"] == "import"

    again = stack.client.post(f"/api/v1/batches/{bid}/retry", headers=h)
    assert again.status_code == 202, again.text
    assert [i["package"] for i in again.json()["items"]] == ["broken"]  # only what is not done
    wait_task(stack, again.json()["task_id"])
    anon = stack.client.post(f"/api/v1/batches/{bid}/retry")
    assert anon.status_code == 401


def test_a_repeated_idempotency_key_is_the_same_job(stack: Stack, tmp_path: Path) -> None:
    seed(stack, tmp_path, "jb2")
    h = {**stack.as_(stack.admin_token), "Idempotency-Key": "import-hello-1"}
    first = stack.client.post("/api/v1/projects/jb2/imports", headers=h, json={"package": "hello"})
    second = stack.client.post("/api/v1/projects/jb2/imports", headers=h, json={"package": "hello"})
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    other = stack.client.post(
        "/api/v1/projects/jb2/imports", headers=h, json={"package": "hello", "ref": "x"}
    )
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    tasks = stack.client.get("/api/v1/tasks?project=jb2&kind=import", headers=h).json()
    assert tasks["total"] == 1
    wait_task(stack, first.json()["task_id"])


def test_cancel_when_temporal_cannot_be_reached_is_503_and_changes_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    seed(stack, tmp_path, "jb3")
    h = stack.as_(stack.admin_token)
    app = stack.client.app
    good = app.state.temporal  # type: ignore[attr-defined]
    dead = Settings(data_dir=tmp_path, temporal_address=f"127.0.0.1:{free_port()}")
    app.state.temporal = TemporalConnection(dead, attempts=1)  # type: ignore[attr-defined]
    try:
        # the job is recorded (and would be started by the reconciler); cancel cannot reach it
        r = stack.client.post("/api/v1/projects/jb3/imports", headers=h, json={"package": "hello"})
        assert r.status_code == 202
        task_id = r.json()["task_id"]
        c = stack.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=h)
        assert c.status_code == 503, c.text
        assert c.headers["content-type"] == "application/problem+json"
        assert "nothing was changed" in c.json()["detail"]
        assert stack.client.get(f"/api/v1/tasks/{task_id}", headers=h).json()["status"] == (
            "pending"
        )
    finally:
        app.state.temporal = good  # type: ignore[attr-defined]


def test_an_import_started_with_the_old_input_shape_still_runs(
    stack: Stack, tmp_path: Path
) -> None:
    """A workflow started by an Olivine before the job layer ({task_id, params}) resumes."""
    seed(stack, tmp_path, "jb4")
    task_id = stack.services.tasks.create("import", summary="import hello (old shape)")
    params = {"project": "jb4", "package": "hello", "ref": None, "submitter_id": None}

    async def start() -> None:
        client = await connect(stack.services.settings)
        await client.start_workflow(
            "Import", {"task_id": task_id, "params": params}, id=f"import-{task_id}",
            task_queue="olivine",
        )  # fmt: skip

    asyncio.run(start())
    t = wait_task(stack, task_id)
    assert t["status"] == "succeeded" and t["result"]["nevr"] == "hello-1.0-1.el9"
