"""Bad requests get a 4xx problem+json naming the problem, never a 5xx, and change nothing."""

from __future__ import annotations

import base64

import pytest
from tests.integration.conftest import Stack, project_yaml

from olivine.projects.service import ProjectService


def _problem(r, status: int) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"]
    return str(body["detail"])


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("Bearer olv_not-a-real-token", "not valid"),
        ("Bearer ", "Bearer"),
        ("Token abc", "Bearer"),
        ("Basic !!!notbase64", "malformed"),
        ("Basic " + base64.b64encode(b"user:").decode(), "Bearer"),
    ],
)
def test_bad_tokens_are_401(stack: Stack, header: str, needle: str) -> None:
    r = stack.client.get("/api/v1/projects", headers={"Authorization": header})
    assert needle in _problem(r, 401)
    assert "Bearer" in r.headers["www-authenticate"]


def test_revoked_token_is_refused(stack: Stack) -> None:
    token = stack.token_for("carol")
    h = stack.as_(token)
    tid = stack.client.get("/api/v1/tokens", headers=h).json()[0]["id"]
    assert stack.client.delete(f"/api/v1/tokens/{tid}", headers=h).status_code == 204
    assert "revoked" in _problem(stack.client.get("/api/v1/me", headers=h), 401)


def test_basic_auth_with_token_as_password(stack: Stack) -> None:
    basic = base64.b64encode(f"admin:{stack.admin_token}".encode()).decode()
    r = stack.client.get("/api/v1/me", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200 and r.json()["name"] == "admin"


@pytest.mark.parametrize(
    "query", ["offset=-1", "limit=0", "limit=100000", "offset=abc", "status=exploded"]
)
def test_bad_pagination_and_filters(stack: Stack, query: str) -> None:
    detail = _problem(stack.client.get(f"/api/v1/tasks?{query}"), 422)
    assert query.split("=")[0] in detail or "status" in detail


def test_unknown_things_are_404(stack: Stack) -> None:
    assert "nope" in _problem(stack.client.get("/api/v1/projects/nope"), 404)
    assert "nope" in _problem(stack.client.get("/api/v1/projects/nope/packages"), 404)
    assert "999999" in _problem(stack.client.get("/api/v1/tasks/999999"), 404)
    assert "/api/v1/nothing" in _problem(stack.client.get("/api/v1/nothing"), 404)
    h = stack.as_(stack.admin_token)
    assert "project nope" in _problem(
        stack.client.put("/api/v1/projects/nope/roles/ghost", json={"role": "guest"}, headers=h),
        404,
    )
    stack.client.post("/api/v1/projects/apply", json={"file": project_yaml()}, headers=h)
    assert "user ghost" in _problem(
        stack.client.put("/api/v1/projects/el9/roles/ghost", json={"role": "guest"}, headers=h),
        404,
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("name: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
        ("name: Bad_Name\n", "name"),
        (project_yaml().replace("arches: [x86_64, aarch64]", "arches: [sparc]"), "p.yaml:3:"),
        (project_yaml() + "colour: blue\n", "unknown key 'colour'"),
        (project_yaml().replace("  branch: c9", "  branch: c9\n  branch: c8"), "appears twice"),
        (project_yaml().replace("kind: dist-git", "kind: cvs"), "upstream.kind"),
        (project_yaml() + "repositories:\n  - name: all\n", "appears twice"),
    ],
)
def test_malformed_project_files_are_rejected_with_position(
    stack: Stack, text: str, needle: str
) -> None:
    r = stack.client.post(
        "/api/v1/projects/apply",
        json={"file": text, "filename": "p.yaml"},
        headers=stack.as_(stack.admin_token),
    )
    detail = _problem(r, 422)
    assert needle in detail
    assert "p.yaml" in detail
    assert ProjectService(stack.services.db).all() == []


def test_bad_json_bodies(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    assert "file" in _problem(stack.client.post("/api/v1/projects/apply", json={}, headers=h), 422)
    r = stack.client.post(
        "/api/v1/projects/apply",
        content=b"{not json",
        headers={**h, "content-type": "application/json"},
    )
    _problem(r, 422)
    assert "role" in _problem(
        stack.client.put("/api/v1/projects/x/roles/y", json={"rank": 1}, headers=h), 422
    )
    assert "name" in _problem(
        stack.client.post("/api/v1/users", json={"name": "Bad Name!"}, headers=h), 422
    )


def test_duplicate_user_is_409(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    assert stack.client.post("/api/v1/users", json={"name": "dave"}, headers=h).status_code == 201
    assert "already exists" in _problem(
        stack.client.post("/api/v1/users", json={"name": "dave"}, headers=h), 409
    )


def test_unknown_role_is_422(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    r = stack.client.post("/api/v1/projects/apply", json={"file": project_yaml()}, headers=h)
    assert r.json()["status"] == "succeeded"
    stack.token_for("erin")
    detail = _problem(
        stack.client.put("/api/v1/projects/el9/roles/erin", json={"role": "god"}, headers=h), 422
    )
    assert "god" in detail and "manager" in detail


def test_apply_is_idempotent_and_reports_changes(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    first = stack.client.post("/api/v1/projects/apply", json={"file": project_yaml()}, headers=h)
    assert first.json()["created"] is True
    assert "added package hello" in first.json()["changes"]
    again = stack.client.post("/api/v1/projects/apply", json={"file": project_yaml()}, headers=h)
    assert again.json()["changes"] == []
    changed = project_yaml().replace("  - name: hello\n", "  - name: zsh\n")
    out = stack.client.post("/api/v1/projects/apply", json={"file": changed}, headers=h).json()
    assert set(out["changes"]) == {
        "added package zsh",
        "removed package hello (its history is kept)",
    }
    task = stack.client.get(f"/api/v1/tasks/{out['task_id']}").json()
    assert (
        task["status"] == "succeeded" and task["project"] == "el9" and task["submitter"] == "admin"
    )
    log = stack.client.get(f"/api/v1/tasks/{out['task_id']}/logs").json()
    assert "added package zsh" in "".join(c["text"] for c in log["chunks"]) and log["done"]
    pkgs = stack.client.get("/api/v1/projects/el9/packages?limit=1").json()
    assert pkgs["total"] == 3 and len(pkgs["items"]) == 1 and pkgs["items"][0]["name"] == "bash"
