"""Every endpoint x (anonymous, outsider, guest, member, builder, manager, admin): allowed or
refused exactly as the policy says (olivine.auth.policy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from tests.integration.conftest import Stack, project_yaml

from olivine.auth.service import AuthService

WHO = ("anonymous", "outsider", "guest", "member", "builder", "manager", "admin")
ANY = set(WHO)
USERS = ANY - {"anonymous"}
READ_PRIVATE = {"guest", "member", "builder", "manager", "admin"}
BUILDERS = {"builder", "manager", "admin"}
MANAGERS = {"manager", "admin"}
ADMIN = {"admin"}


@dataclass
class World:
    stack: Stack
    tokens: dict[str, str | None]

    def call(self, who: str, method: str, url: str, **kw: object) -> httpx.Response:
        headers = self.stack.as_(self.tokens[who])
        return self.stack.client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]

    def pending_task(self, project: str) -> int:
        from olivine.projects.service import ProjectService

        pid = ProjectService(self.stack.services.db).get(project).id
        return self.stack.services.tasks.create("noop", project_id=pid)


@pytest.fixture
def world(stack: Stack) -> World:
    tokens: dict[str, str | None] = {"anonymous": None, "admin": stack.admin_token}
    for project, public in (("pub", True), ("priv", False)):
        r = stack.client.post(
            "/api/v1/projects/apply",
            headers=stack.as_(stack.admin_token),
            json={"file": project_yaml(project, public), "filename": f"{project}.yaml"},
        )
        assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    auth = AuthService(stack.services.db)
    for who in ("outsider", "guest", "member", "builder", "manager"):
        tokens[who] = stack.token_for(who)
        if who != "outsider":
            auth.grant("pub", who, who, None)
            auth.grant("priv", who, who, None)
    return World(stack, tokens)


Case = tuple[str, str, Callable[[World], tuple[str, dict[str, object]]], set[str]]


def _get(url: str) -> Callable[[World], tuple[str, dict[str, object]]]:
    return lambda w: (url, {})


def _apply(name: str, public: bool) -> Callable[[World], tuple[str, dict[str, object]]]:
    body = {"file": project_yaml(name, public, extra="  - name: zsh\n"), "filename": "p.yaml"}
    return lambda w: ("/api/v1/projects/apply", {"json": body})


def _cancel(project: str) -> Callable[[World], tuple[str, dict[str, object]]]:
    return lambda w: (f"/api/v1/tasks/{w.pending_task(project)}/cancel", {})


def _task(project: str, suffix: str = "") -> Callable[[World], tuple[str, dict[str, object]]]:
    return lambda w: (f"/api/v1/tasks/{w.pending_task(project)}{suffix}", {})


CASES: list[Case] = [
    ("GET", "me", _get("/api/v1/me"), ANY),
    ("GET", "project list", _get("/api/v1/projects"), ANY),
    ("GET", "public project", _get("/api/v1/projects/pub"), ANY),
    ("GET", "private project", _get("/api/v1/projects/priv"), READ_PRIVATE),
    ("GET", "public packages", _get("/api/v1/projects/pub/packages"), ANY),
    ("GET", "private packages", _get("/api/v1/projects/priv/packages"), READ_PRIVATE),
    ("GET", "private package", _get("/api/v1/projects/priv/packages/bash"), READ_PRIVATE),
    ("GET", "task list", _get("/api/v1/tasks"), ANY),
    ("GET", "public task", _task("pub"), ANY),
    ("GET", "private task", _task("priv"), READ_PRIVATE),
    ("GET", "private task log", _task("priv", "/logs"), READ_PRIVATE),
    ("POST", "cancel public task", _cancel("pub"), BUILDERS),
    ("POST", "cancel private task", _cancel("priv"), BUILDERS),
    ("POST", "apply existing project", _apply("pub", True), MANAGERS),
    ("POST", "apply new project", _apply("newproj", True), ADMIN),
    ("GET", "roles", _get("/api/v1/projects/pub/roles"), MANAGERS),
    (
        "PUT",
        "grant role",
        lambda w: ("/api/v1/projects/pub/roles/outsider", {"json": {"role": "guest"}}),
        MANAGERS,
    ),
    ("GET", "users", _get("/api/v1/users"), ADMIN),
    ("POST", "create user", lambda w: ("/api/v1/users", {"json": {"name": "newbie"}}), ADMIN),
    ("POST", "own token", lambda w: ("/api/v1/tokens", {"json": {"name": "ci"}}), USERS),
    ("POST", "token for another", lambda w: ("/api/v1/tokens", {"json": {"user": "admin"}}), ADMIN),
    ("GET", "own tokens", _get("/api/v1/tokens"), USERS),
]


@pytest.mark.parametrize(("method", "what", "target", "allowed"), CASES, ids=[c[1] for c in CASES])
def test_auth_matrix(
    world: World,
    method: str,
    what: str,
    target: Callable[[World], tuple[str, dict[str, object]]],
    allowed: set[str],
) -> None:
    outcome = {}
    for who in WHO:
        url, kw = target(world)
        r = world.call(who, method, url, **kw)
        assert r.status_code < 500, f"{what} as {who}: {r.status_code} {r.text}"
        outcome[who] = r.status_code < 400
        if not outcome[who]:
            assert r.headers["content-type"].startswith("application/problem+json")
            hidden = method == "GET" and what.startswith("private")  # missing, to outsiders
            expected = (404 if hidden else 401) if who == "anonymous" else (403, 404)
            assert r.status_code in (expected if isinstance(expected, tuple) else (expected,)), (
                f"{what} as {who}: {r.status_code} {r.text}"
            )
            assert r.json()["detail"]
    assert {w for w, ok in outcome.items() if ok} == allowed


def test_private_project_hidden_from_lists(world: World) -> None:
    names = {p["name"] for p in world.call("anonymous", "GET", "/api/v1/projects").json()}
    assert names == {"pub"}
    names = {p["name"] for p in world.call("outsider", "GET", "/api/v1/projects").json()}
    assert names == {"pub"}
    names = {p["name"] for p in world.call("guest", "GET", "/api/v1/projects").json()}
    assert names == {"pub", "priv"}


def test_private_tasks_hidden_from_task_list(world: World) -> None:
    world.pending_task("priv")
    anon = world.call("anonymous", "GET", "/api/v1/tasks").json()
    assert all(t["project"] != "priv" for t in anon["items"])
    guest = world.call("guest", "GET", "/api/v1/tasks", params={"project": "priv"}).json()
    assert guest["total"] >= 2  # the apply task and the pending one
