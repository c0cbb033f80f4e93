"""The UI through the real app (FastAPI TestClient, no Temporal needed for these): what each
kind of visitor sees, sign-in and sessions, CSRF refusals, the failed-build display."""

from __future__ import annotations

import html
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from olivine.app import create_app
from olivine.auth.service import AuthService
from olivine.config import Settings
from olivine.db.base import Database
from olivine.services import Services
from olivine.web import identity
from olivine.web.session import COOKIE
from tests.integration.conftest import Stack
from tests.integration.web.seed import REASON, Seeded, csrf_of, seed

ESCAPED = html.escape(REASON)

ACTION_MARKS = (
    '/import"',
    "/import-srpm",
    "/import-batch",
    '/build"',
    "/build-batch",
    "/cancel",
    "/retry",
    "/publish",
    "/rollback",
    "Apply project file",
)


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    with tempfile.TemporaryDirectory() as d:
        settings = Settings(data_dir=Path(d), database_url=str(db.engine.url))
        with TestClient(create_app(settings, Services(settings, db))) as c:
            yield c


@pytest.fixture
def seeded(db: Database) -> Seeded:
    return seed(db)


def login(c: TestClient, token: str) -> None:
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"token": token, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=lax" in r.headers["set-cookie"].lower()
    assert token not in r.headers["set-cookie"]


def no_actions(html: str) -> None:
    for mark in ACTION_MARKS:
        assert mark not in html, mark


def test_anonymous_sees_public_projects_read_only(app_client: TestClient, seeded: Seeded) -> None:
    home = app_client.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert 'href="/projects/pub"' in home.text and "/projects/priv" not in home.text
    no_actions(app_client.get("/projects/pub/repos").text)
    page = app_client.get("/projects/pub")
    assert page.status_code == 200
    assert "bash" in page.text and "5.1.8-9.el9" in page.text and ESCAPED in page.text
    assert "BaseOS" in page.text  # the repos each package is in
    no_actions(page.text)
    private = app_client.get("/projects/priv")
    assert private.status_code == 404 and "Sign in" in private.text  # as a missing project
    assert app_client.get(f"/tasks/{seeded.private_task}").status_code == 404
    tasks = app_client.get("/tasks")
    assert f'href="/tasks/{seeded.build_task}"' in tasks.text
    assert f'href="/tasks/{seeded.private_task}"' not in tasks.text


def test_failed_build_shows_reason_and_log_tail(app_client: TestClient, seeded: Seeded) -> None:
    page = app_client.get(f"/tasks/{seeded.build_task}")
    assert page.status_code == 200
    banner = page.text.index('class="banner error"')
    assert page.text.index(ESCAPED) > banner > page.text.index("<h1>")
    assert f"error: {ESCAPED}" in page.text  # the failed subtask's log tail
    assert f'href="/tasks/{seeded.arch_task}"' in page.text
    no_actions(page.text)
    log = app_client.get(f"/tasks/{seeded.arch_task}/log.txt")
    assert log.status_code == 200 and "attachment" in log.headers["content-disposition"]
    assert log.text.startswith("resolving line 0\n") and log.text.endswith(f"{REASON}\n")
    follow = app_client.get(f"/tasks/{seeded.arch_task}/log", params={"after": 0}).json()
    assert follow["done"] and follow["status"] == "failed"
    assert [c["seq"] for c in follow["chunks"]] == [1]
    pkg = app_client.get("/projects/pub/packages/bash")
    assert pkg.status_code == 200
    assert "Latest build failed:" in pkg.text and ESCAPED in pkg.text
    assert "gcc-11.4-1.x86_64" in pkg.text and "imports/r9/bash-5.1.8-9.el9" in pkg.text
    assert 'class="arch s-failed" title="x86_64: failed"' in app_client.get("/projects/pub").text
    assert "/projects/pub/packages/bash/imports/" in pkg.text  # the diff link


def test_task_filters_paging_and_partial(app_client: TestClient, seeded: Seeded) -> None:
    r = app_client.get("/tasks", params={"kind": "build-arch"})
    assert f'href="/tasks/{seeded.arch_task}"' in r.text
    assert f'href="/tasks/{seeded.build_task}"' not in r.text
    r = app_client.get("/tasks", params={"status": "failed", "package": "bash", "roots": "true"})
    assert f'href="/tasks/{seeded.build_task}"' in r.text
    assert f'href="/tasks/{seeded.arch_task}"' not in r.text
    assert app_client.get("/tasks", params={"status": "bogus"}).status_code == 422
    part = app_client.get("/tasks", params={"partial": "rows"})
    assert part.text.lstrip().startswith('<div id="rows"') and "<html" not in part.text


def test_batches_and_repositories(app_client: TestClient, seeded: Seeded) -> None:
    r = app_client.get("/projects/pub/batches")
    assert f'href="/projects/pub/batches/{seeded.batch_id}"' in r.text
    r = app_client.get(f"/projects/pub/batches/{seeded.batch_id}")
    assert "branch c9 not found" in r.text and "Retry" not in r.text
    r = app_client.get("/projects/pub/repos")
    assert r.status_code == 200 and 'href="/projects/pub/repos/BaseOS"' in r.text
    r = app_client.get("/projects/pub/repos/BaseOS")
    assert "[pub-BaseOS]" in r.text and "/repos/pub/BaseOS/$basearch/" in r.text
    assert app_client.get("/projects/pub/repos/Nope").status_code == 404


def test_builder_sees_actions_guest_does_not(app_client: TestClient, seeded: Seeded) -> None:
    login(app_client, seeded.builder)
    page = app_client.get("/projects/pub")
    assert "/packages/bash/import" in page.text and "/import-batch" in page.text
    assert "Apply project file" not in page.text  # a builder does not manage
    assert "Publish now" in app_client.get("/projects/pub/repos").text
    batch = app_client.get(f"/projects/pub/batches/{seeded.batch_id}")
    assert f"/batches/{seeded.batch_id}/retry" in batch.text
    assert app_client.get("/projects/priv").status_code == 200

    app_client.cookies.clear()
    login(app_client, seeded.guest)
    for url in (
        "/projects/pub",
        "/projects/priv",
        f"/tasks/{seeded.build_task}",
        f"/projects/pub/batches/{seeded.batch_id}",
        "/projects/pub/packages/bash",
        "/projects/pub/repos",
        "/projects/pub/repos/BaseOS",
    ):
        r = app_client.get(url)
        assert r.status_code == 200, url
        no_actions(r.text)


def test_manager_sees_apply(app_client: TestClient, seeded: Seeded) -> None:
    login(app_client, seeded.manager)
    assert "Apply project file" in app_client.get("/projects/pub").text
    hidden = app_client.get("/projects/priv")  # a private project she has no role in
    assert hidden.status_code == 404 and "does not exist" in hidden.text
    assert f'href="/tasks/{seeded.private_task}"' not in app_client.get("/tasks").text


def test_forged_posts_are_refused(app_client: TestClient, seeded: Seeded) -> None:
    login(app_client, seeded.builder)
    good = csrf_of(app_client.get("/").text)
    url = f"/projects/pub/batches/{seeded.batch_id}/retry"
    assert app_client.post(url).status_code == 403
    r = app_client.post(url, data={"csrf": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = app_client.post(url, data={"csrf": good}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert app_client.post(f"/tasks/{seeded.build_task}/cancel", data={}).status_code == 403
    assert app_client.post("/logout").status_code == 403
    assert app_client.post("/login", data={"token": seeded.admin}).status_code == 403
    # a token from another session is no good either
    other = TestClient(app_client.app)
    theirs = csrf_of(other.get("/").text)
    assert app_client.post(url, data={"csrf": theirs}).status_code == 403


def test_sessions(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    r = app_client.post(
        "/login", data={"token": "olv_wrong", "csrf": csrf_of(app_client.get("/login").text)}
    )
    assert r.status_code == 401 and "not valid" in r.text
    login(app_client, seeded.builder)
    assert "bob" in app_client.get("/").text
    cookie = app_client.cookies[COOKIE]

    def home_with(value: str) -> str:
        fresh = TestClient(app_client.app)
        return fresh.get("/", headers={"Cookie": f"{COOKIE}={value}"}).text

    assert "bob" in home_with(cookie)
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert "Sign in" in home_with(tampered)  # a tampered cookie is anonymous
    auth = AuthService(db)
    for t in auth.list_tokens("bob"):
        auth.revoke_token(t.id)
    assert "Sign in" in home_with(cookie)  # revoking the token ends the session
    app_client.cookies.clear()
    login(app_client, seeded.guest)
    r = app_client.post(
        "/logout", data={"csrf": csrf_of(app_client.get("/").text)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "Sign in" in app_client.get("/").text
    r = app_client.get("/login", params={"next": "//evil.example/x"})
    assert 'name="next" value="/"' in r.text


def test_tokens_page(app_client: TestClient, seeded: Seeded) -> None:
    assert app_client.get("/tokens").status_code == 401
    login(app_client, seeded.guest)
    page = app_client.get("/tokens")
    r = app_client.post("/tokens", data={"name": "laptop", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "shown once" in r.text
    secret = r.text.split('<pre id="new-token" class="token">')[1].split("<")[0]
    assert secret.startswith("olv_")
    assert AuthService(app_client.app.state.services.db).authenticate(secret).name == "gus"
    assert "laptop" in app_client.get("/tokens").text


def test_static_and_unknown(app_client: TestClient) -> None:
    assert app_client.get("/static/olivine.js").status_code == 200
    assert app_client.get("/static/../app.py").status_code == 404
    assert app_client.get("/tasks/999999").status_code == 404


class OneUserProvider:
    """An identity provider that vouches for one user: exercises the OIDC hook point."""

    name = "test-idp"
    label = "Test IdP"

    def __init__(self, user: str) -> None:
        self.user = user

    async def start(self, request: object, state: str) -> str:
        return f"/idp-authorize?state={state}"

    async def finish(self, request: object, state: str) -> str:
        return self.user


def test_identity_provider_hook(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    assert app_client.get("/login/with/test-idp").status_code == 404
    identity.register(OneUserProvider("bob"))
    try:
        assert "Sign in with Test IdP" in app_client.get("/login").text
        r = app_client.get("/login/with/test-idp", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/idp-authorize?state=")
        state = r.headers["location"].split("state=")[1]
        cb = "/login/with/test-idp/callback"
        assert app_client.get(cb, params={"state": "forged"}).status_code == 403
        r = app_client.get(cb, params={"state": state})
        assert r.status_code == 200 and "bob" in r.text and "Sign out" in r.text
        names = [t.name for t in AuthService(db).list_tokens("bob")]
        assert "web sign-in via test-idp" in names
        identity.register(OneUserProvider("nobody"))
        app_client.cookies.clear()
        r = app_client.get("/login/with/test-idp", follow_redirects=False)
        state = r.headers["location"].split("state=")[1]
        r = app_client.get(cb, params={"state": state})
        assert r.status_code == 401 and "not an Olivine user" in r.text
    finally:
        identity.unregister("test-idp")


def test_admin_tokens_and_headers(app_client: TestClient, seeded: Seeded) -> None:
    login(app_client, seeded.admin)
    page = app_client.get("/tokens")
    assert 'name="user"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    r = app_client.post("/tokens", data={"name": "ci", "user": "gus", "csrf": csrf_of(page.text)})
    assert "New token for gus" in r.text
    app_client.cookies.clear()
    login(app_client, seeded.guest)
    page = app_client.get("/tokens")
    assert 'name="user"' not in page.text
    r = app_client.post("/tokens", data={"user": "ada", "csrf": csrf_of(page.text)})
    assert r.status_code == 403


def test_task_failed_on_its_own_shows_its_log_tail(
    app_client: TestClient, seeded: Seeded, db: Database
) -> None:
    from olivine.tasks.service import TaskService

    tasks = TaskService(db)
    t = tasks.create("import", summary="import alone")
    tasks.start(t)
    tasks.log(t, "".join(f"step {i}\n" for i in range(100)) + "fatal: no such ref\n")
    tasks.finish(t, "failed", error="upstream: no such ref")
    login(app_client, seeded.admin)
    page = app_client.get(f"/tasks/{t}").text
    banner = page[page.index('class="banner error"') : page.index("</div>", page.index("banner"))]
    assert "Failed: upstream: no such ref" in banner and "fatal: no such ref" in banner
    assert "step 99" in banner and "step 10\n" not in banner  # the last lines only


def test_pages_are_compressed(app_client: TestClient, seeded: Seeded) -> None:
    r = app_client.get("/projects/pub", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and "bash" in r.text
    assert int(r.headers["content-length"]) < len(r.content)
    plain = app_client.get("/projects/pub", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == r.text


def test_manager_serves_an_earlier_revision(stack: Stack, seeded: Seeded, db: Database) -> None:
    """The rollback is a task the project's publisher runs (hence the stack, with Temporal)."""
    from olivine.db.models import Project, Repository, RepositoryHead, RepositoryRevision
    from olivine.repos.revisions import list_revisions

    with db.session() as s:
        # the stack's database holds other tests' projects, each with a BaseOS of its own
        repo = s.scalar(
            select(Repository)
            .join(Project, Project.id == Repository.project_id)
            .where(Project.name == "pub", Repository.name == "BaseOS")
        )
        assert repo is not None
        revs = [
            RepositoryRevision(repository_id=repo.id, arch="x86_64", number=n, repomd_xml="<x/>")
            for n in (1, 2)
        ]
        s.add_all(revs)
        s.flush()
        s.add(RepositoryHead(repository_id=repo.id, arch="x86_64", revision_id=revs[1].id))
    app_client = stack.client
    login(app_client, seeded.guest)
    assert "Serve this" not in app_client.get("/projects/pub/repos/BaseOS").text
    app_client.cookies.clear()
    login(app_client, seeded.manager)
    page = app_client.get("/projects/pub/repos/BaseOS").text
    assert page.count("Serve this") == 1
    r = app_client.post(
        "/projects/pub/repos/BaseOS/rollback",
        data={"to": "1", "arch": "x86_64", "csrf": csrf_of(page)},
    )
    assert r.status_code == 200
    end = time.monotonic() + 30
    while time.monotonic() < end:
        done = [t for t in _tasks_of(db, "repo-rollback") if t.status == "succeeded"]
        if done:
            break
        time.sleep(0.1)
    current = [v.number for v in list_revisions(db, "pub", "BaseOS", "x86_64") if v.current]
    assert current == [1]
    tasks = stack.services.tasks
    (task,) = _tasks_of(db, "repo-rollback")
    assert task.submitter_id is not None and task.status == "succeeded"
    log = "".join(c.text for c in tasks.read_log(task.id))
    assert "pub/BaseOS: revision 1 is current for x86_64" in log


def _tasks_of(db: Database, kind: str) -> list[Any]:
    """Project pub's tasks of that kind (the stack's database is shared with other tests)."""
    from olivine.db.models import Project, Task

    with db.session() as s:
        pub = select(Project.id).where(Project.name == "pub").scalar_subquery()
        rows = list(s.scalars(select(Task).where(Task.kind == kind, Task.project_id == pub)))
        s.expunge_all()
        return rows


def test_import_diff_page_renders_a_diff(
    app_client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The diff itself is the imports capability's (tested there); here, how the page shows it."""
    import olivine.web.projects as pages

    diff = (
        "--- a/SPECS/bash.spec\n+++ b/SPECS/bash.spec\n"
        "@@ -1 +1 @@\n-Vendor: Red Hat\n+Vendor: Olivine\n"
    )
    monkeypatch.setattr(pages, "import_diff", lambda *a: diff)
    page = app_client.get("/projects/pub/packages/bash").text
    link = page.split('href="/projects/pub/packages/bash/imports/')[1].split('"')[0]
    r = app_client.get(f"/projects/pub/packages/bash/imports/{link}")
    assert r.status_code == 200
    assert '<span class="dd">-Vendor: Red Hat</span>' in r.text
    assert '<span class="da">+Vendor: Olivine</span>' in r.text
    assert '<span class="dc">@@ -1 +1 @@</span>' in r.text
    monkeypatch.setattr(pages, "DIFF_LINES", 2)
    r = app_client.get(f"/projects/pub/packages/bash/imports/{link}")
    assert "the last 3 lines are left out" in r.text and "Vendor: Olivine" not in r.text


def test_origin_behind_a_tls_proxy(app_client: TestClient, seeded: Seeded) -> None:
    """The browser says https://host, the app behind the proxy sees http://host: same site."""
    login(app_client, seeded.builder)
    csrf = csrf_of(app_client.get("/").text)
    evil = {"Origin": "https://testserver.evil"}
    assert app_client.post("/logout", data={"csrf": csrf}, headers=evil).status_code == 403
    ok = {"Origin": "https://testserver"}
    r = app_client.post("/logout", data={"csrf": csrf}, headers=ok, follow_redirects=False)
    assert r.status_code == 303
