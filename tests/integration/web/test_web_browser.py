"""The UI in Debian's Chromium (Playwright) against the real app served by uvicorn on loopback,
with the real Temporal dev server and worker: an anonymous visitor reads a failed build, a
builder imports a package and builds it, watching each task turn green, a manager applies a
project file, a guest sees no action controls, and forged posts are refused. Screenshots go to
artifacts/screenshots/."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from olivine.auth.service import AuthService
from olivine.db.base import Database
from olivine.projects.service import ProjectService
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import serve_dir
from tests.integration.web.seed import REASON, Seeded, seed
from tests.integration.web.test_web_actions import ui_project, upstreams

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[BrowserContext]:
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        ctx.set_default_timeout(20_000)
        yield ctx
        ctx.close()


@pytest.fixture
def seeded(stack: Stack, db: Database) -> Seeded:
    return seed(db)


def shot(page: Page, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def action_forms(page: Page) -> int:
    """Forms that change something, other than signing out."""
    return page.locator("form[method=post]:not([action='/logout'])").count()


def test_anonymous_reads_a_failed_build(
    browser: BrowserContext, live_url: str, seeded: Seeded
) -> None:
    page = browser.new_page()
    page.goto(live_url)
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.get_by_role("link", name="priv")).to_have_count(0)
    shot(page, "01-projects")
    page.get_by_role("link", name="pub", exact=True).click()
    expect(page.get_by_role("heading", name="pub")).to_be_visible()
    expect(page.locator("#packages")).to_contain_text(REASON)
    assert action_forms(page) == 0 and page.get_by_role("button", name="Import").count() == 0
    shot(page, "02-project-packages")
    page.locator("#packages a[href^='/projects/pub/builds/']").first.click()
    expect(page.get_by_role("alert")).to_contain_text(f"Failed: {REASON}")
    page.get_by_role("alert").get_by_role("link", name="log").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text(f"Build failed: {REASON}")
    expect(banner.locator("pre.log")).to_contain_text(f"error: {REASON}")
    assert page.get_by_role("button", name="Cancel task").count() == 0
    shot(page, "03-failed-task")
    page.get_by_role("link", name=f"#{seeded.arch_task} build-arch x86_64").first.click()
    expect(page.locator("#log")).to_contain_text("resolving line 399")
    with page.expect_download() as dl:
        page.get_by_role("link", name="download full log").click()
    text = Path(dl.value.path()).read_text()
    assert text.startswith("resolving line 0\n") and text.endswith(f"{REASON}\n")
    page.goto(f"{live_url}/projects/pub/packages/bash")
    expect(page.get_by_role("alert")).to_contain_text(f"Latest build failed: {REASON}")
    shot(page, "04-package-history")
    page.goto(f"{live_url}/projects/pub/batches/{seeded.batch_id}")
    expect(page.locator("#body")).to_contain_text("branch c9 not found")
    assert page.get_by_role("button", name=re.compile("Retry")).count() == 0
    shot(page, "04-batch")
    page.goto(f"{live_url}/projects/pub/repos/BaseOS")
    expect(page.locator("#repo-file")).to_contain_text("[pub-BaseOS]")
    shot(page, "05-repository-unpublished")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/projects/pub")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "05-project-phone", full=False)


def test_builder_imports_builds_and_watches_them_turn_green(
    browser: BrowserContext, live_url: str, stack: Stack, seeded: Seeded, tmp_path: Path
) -> None:
    text = ui_project(upstreams(tmp_path / "up"), "web")
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": text, "wait": True},
    )
    assert r.json()["status"] == "succeeded", r.text
    AuthService(stack.services.db).grant("web", "bob", "builder", None)
    page = browser.new_page()
    sign_in(page, live_url, seeded.builder)
    page.goto(f"{live_url}/projects/web")
    shot(page, "06-project-as-builder")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="hello", exact=True))
    row.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Task")
    expect(heading.locator(".status")).to_have_text("succeeded", timeout=60_000)
    expect(page.locator("#log")).to_contain_text("imported: hello-1.0-1.el9", timeout=10_000)
    shot(page, "07-import-succeeded")
    page.goto(f"{live_url}/projects/web")
    expect(page.locator("#packages")).to_contain_text("1.0-1.el9")

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="hello", exact=True))
    row.get_by_role("button", name="Build").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading.locator(".status")).to_have_text("succeeded", timeout=120_000)
    expect(page.get_by_role("region", name="Subtasks")).to_contain_text("build-arch")
    shot(page, "08-build-succeeded")
    page.goto(f"{live_url}/projects/web/packages/hello")
    expect(page.locator("#builds")).to_contain_text("hello-1.0-1.el9.noarch.rpm")
    page.locator("details.root summary").first.click()
    shot(page, "09-package-built")
    page.goto(f"{live_url}/projects/web/repos/BaseOS")
    page.locator("a[href*='arch=x86_64&']").click()
    expect(page.get_by_role("region", name="Changes")).to_contain_text("hello-1.0-1.el9.noarch.rpm")
    shot(page, "10-repository-revisions")
    page.goto(f"{live_url}/tasks?project=web")
    shot(page, "10-tasks")


def test_manager_applies_a_project_file(
    browser: BrowserContext, live_url: str, seeded: Seeded
) -> None:
    from tests.integration.conftest import project_yaml

    page = browser.new_page()
    sign_in(page, live_url, seeded.manager)
    page.get_by_role("link", name="Apply project file").first.click()
    page.get_by_label("Project file (YAML)").fill(project_yaml("pub", extra="  - name: zsh\n"))
    shot(page, "11-apply-form")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text(
        "succeeded", timeout=60_000
    )
    expect(page.locator("#log")).to_contain_text("added package zsh")


def test_guest_sees_no_actions_and_forged_posts_fail(
    browser: BrowserContext, live_url: str, stack: Stack, seeded: Seeded, tmp_path: Path
) -> None:
    page = browser.new_page()
    sign_in(page, live_url, seeded.guest)
    for url in (
        "/projects/pub",
        "/projects/priv",
        f"/tasks/{seeded.build_task}",
        f"/projects/pub/batches/{seeded.batch_id}",
        "/projects/pub/packages/bash",
    ):
        page.goto(live_url + url)
        assert action_forms(page) == 0, url
        assert page.get_by_role("button", name="Import").count() == 0
    shot(page, "12-guest-package")
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST',
             body: new URLSearchParams({csrf: 'forged'})})).status""",
        f"/projects/pub/batches/{seeded.batch_id}/retry",
    )
    assert status == 403

    # A builder signed in here, then a page elsewhere posts a form to cancel one of pub's tasks.
    pub = ProjectService(stack.services.db).get("pub").id
    pending = stack.services.tasks.create("import", project_id=pub, summary="must survive")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_url, seeded.builder)
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "index.html").write_text(
        f'<form id="f" method="post" action="{live_url}/tasks/{pending}/cancel"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    with serve_dir(evil) as elsewhere:
        with page.expect_response(f"{live_url}/tasks/{pending}/cancel") as resp:
            page.goto(f"{elsewhere}/index.html")
        assert resp.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("refused")
    shot(page, "13-forged-post-refused")
    assert stack.services.tasks.status_of(pending)[0] == "pending"


def test_task_page_follows_a_running_task(
    browser: BrowserContext, live_url: str, stack: Stack, seeded: Seeded
) -> None:
    tasks = stack.services.tasks
    pub = ProjectService(stack.services.db).get("pub").id
    t = tasks.create("build", project_id=pub, summary="a long build")
    tasks.start(t)
    tasks.log(t, "step 1: unpacking\n")
    page = browser.new_page()
    page.goto(f"{live_url}/tasks/{t}")
    status = page.get_by_role("heading", level=1).locator(".status")
    expect(status).to_have_text("running")
    expect(page.locator("#log")).to_have_text("step 1: unpacking\n")
    tasks.log(t, "step 2: compiling\n")
    expect(page.locator("#log")).to_contain_text("step 2: compiling", timeout=10_000)
    child = tasks.create("build-arch", project_id=pub, parent_id=t, arch="x86_64")
    expect(page.get_by_role("region", name="Subtasks")).to_contain_text(f"#{child}")
    tasks.finish(child, "succeeded")
    tasks.log(t, "step 3: done\n")
    tasks.finish(t, "succeeded")
    expect(status).to_have_text("succeeded", timeout=10_000)
    expect(page.locator("#log")).to_have_text(
        "step 1: unpacking\nstep 2: compiling\nstep 3: done\n"
    )
    page.goto(f"{live_url}/tasks?project=pub")
    expect(page.locator("#rows")).to_contain_text("a long build")
