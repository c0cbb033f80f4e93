"""GET /api/v1/builds/{id} and /api/v1/projects/{p}/builds say a build's true end: one whose
task ended failed before the build's row was updated says failed, with the task's reason, and
the orphaned-task check finds nothing open."""

from __future__ import annotations

from tests.integration.conftest import Stack
from tests.unit.builds.test_records import _revision

from olivine.builds.records import create_build, get_build


def test_a_build_whose_task_failed_says_failed(stack: Stack) -> None:
    svc = stack.services
    rev = _revision(svc.db)
    task = svc.tasks.create("build", summary="a build whose SRPM checkout failed")
    build_id = create_build(svc.db, rev, task_id=task)
    svc.tasks.start(task)
    svc.tasks.finish(task, "failed", error="checkout failed: no such commit")
    h = stack.as_(stack.admin_token)
    b = stack.client.get(f"/api/v1/builds/{build_id}", headers=h).json()
    assert b["status"] == "failed" and b["reason"] == "checkout failed: no such commit"
    assert b["finished_at"].endswith("Z") and b["created_at"].endswith("Z")
    project = b["project"]
    page = stack.client.get(f"/api/v1/projects/{project}/builds", headers=h).json()
    assert [(x["id"], x["status"]) for x in page["items"]] == [(build_id, "failed")]
    failed = stack.client.get(
        f"/api/v1/projects/{project}/builds", headers=h, params={"state": "failed"}
    ).json()
    assert failed["total"] == 1
    pending = stack.client.get(
        f"/api/v1/projects/{project}/builds", headers=h, params={"state": "pending"}
    ).json()
    assert pending["total"] == 0
    bad = stack.client.get(
        f"/api/v1/projects/{project}/builds", headers=h, params={"state": "wobbly"}
    )
    assert bad.status_code == 422 and "unknown build state 'wobbly'" in bad.text
    assert get_build(svc.db, build_id).status == "pending"  # the row itself is the job's
