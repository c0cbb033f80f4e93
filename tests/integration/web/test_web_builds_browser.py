"""The build pages in Debian's Chromium against the real stack (Temporal dev server, worker,
rpmbuild in the sandbox): a real build and a scratch build of hello, then a build batch of hello
that is refused ("already built"). A visitor reads the build page, downloads every RPM (its
sha256 must be what the API lists), finds the build with the header's search box, and sees the
refused build and the failed batch with no action controls; a builder sees the same states and
no retry for a refusal. Screenshots go to artifacts/screenshots/ (ignored by git)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from olivine.auth.service import AuthService
from tests.integration.conftest import Stack
from tests.integration.web.seed import Seeded
from tests.integration.web.test_web_actions import ui_project, upstreams, wait_done
from tests.integration.web.test_web_browser import (
    action_forms,
    browser,
    seeded,
    shot,
    sign_in,
)

__all__ = ["browser", "seeded"]
pytestmark = pytest.mark.slow
P = "webb"


def _built(stack: Stack, tmp_path: Path) -> tuple[int, int, int]:
    """A project with hello imported and built, a scratch build of it, and a build batch of it
    (refused: already built). Their build IDs and the batch ID."""
    text = ui_project(upstreams(tmp_path / "up"), P)
    assert (
        stack.admin_call("POST", "/api/v1/projects/apply", json={"file": text, "wait": True})[
            "status"
        ]
        == "succeeded"
    )
    AuthService(stack.services.db).grant(P, "bob", "builder", None)
    imp = stack.admin_call("POST", f"/api/v1/projects/{P}/imports", json={"package": "hello"})
    assert wait_done(stack, imp["task_id"]) == "succeeded"
    real = stack.admin_call("POST", f"/api/v1/projects/{P}/builds", json={"package": "hello"})
    scratch = stack.admin_call(
        "POST", f"/api/v1/projects/{P}/builds", json={"package": "hello", "scratch": True}
    )
    assert wait_done(stack, real["task_id"], 180) == "succeeded"
    assert wait_done(stack, scratch["task_id"], 180) == "succeeded"
    batch = stack.admin_call(
        "POST", f"/api/v1/projects/{P}/build-batch", json={"packages": ["hello"]}
    )
    wait_done(stack, batch["task_id"], 180)
    return real["build_id"], scratch["build_id"], batch["batch_id"]


def _downloads_match_the_api(page: Page, stack: Stack, build_id: int, tmp_path: Path) -> int:
    listed = {
        f["name"]: f["sha256"] for f in stack.admin_call("GET", f"/api/v1/builds/{build_id}/files")
    }
    links = page.get_by_role("region", name="Downloads").get_by_role("link")
    assert links.count() == len(listed) > 0
    for i in range(links.count()):
        link = links.nth(i)
        with page.expect_download() as dl:
            link.click()
        name = dl.value.suggested_filename
        dest = tmp_path / f"{build_id}-{name}"
        dl.value.save_as(dest)
        assert hashlib.sha256(dest.read_bytes()).hexdigest() == listed[name], name
    return len(listed)


def test_build_pages_downloads_search_and_a_refused_batch(
    browser: BrowserContext, live_url: str, stack: Stack, seeded: Seeded, tmp_path: Path
) -> None:
    real, scratch, batch = _built(stack, tmp_path)
    page = browser.new_page()

    # a visitor: the build page, its links, its downloads
    page.goto(f"{live_url}/projects/{P}/builds/{real}")
    heading = page.get_by_role("heading", level=1)
    expect(heading.locator(".status")).to_have_text("complete")
    expect(page.locator("dl.facts").first).to_contain_text("Submitted by")
    expect(page.locator("dl.facts").first).to_contain_text(re.compile(r"\d{2}:\d{2}:\d{2}Z"))
    arches = page.get_by_role("region", name="Arches")
    expect(arches.locator(".status").first).to_have_text("complete")
    assert arches.get_by_role("link", name="log").count() >= 1
    source = page.get_by_role("region", name="Source")
    expect(source.get_by_role("link", name=re.compile(r"#\d+ 1\.0-1\.el9"))).to_be_visible()
    repos = page.get_by_role("region", name="Repositories")
    expect(repos.get_by_role("link", name=re.compile(r"BaseOS x86_64 r\d+"))).to_be_visible()
    assert action_forms(page) == 0
    shot(page, "20-build-page-visitor")
    assert _downloads_match_the_api(page, stack, real, tmp_path) >= 2  # SRPM and RPM
    repos.get_by_role("link", name=re.compile(r"BaseOS x86_64 r\d+")).click()
    expect(page.get_by_role("region", name="Changes")).to_contain_text("hello-1.0-1.el9.noarch")

    # the scratch build: downloadable from its page, in no repository
    page.goto(f"{live_url}/projects/{P}/builds/{scratch}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("scratch")
    expect(page.get_by_role("region", name="Repositories")).to_contain_text("enters no repository")
    assert _downloads_match_the_api(page, stack, scratch, tmp_path) >= 2
    shot(page, "21-scratch-build")

    # the search box in the header finds the build by NVR and the task by ID
    page.get_by_role("searchbox").fill("hello-1.0-1.el9")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q="))
    found = page.get_by_role("region", name="Builds")
    expect(found.get_by_role("link", name=f"build #{real} hello-1.0-1.el9")).to_be_visible()
    shot(page, "22-search")
    found.get_by_role("link", name=f"build #{real} hello-1.0-1.el9").click()
    expect(page).to_have_url(f"{live_url}/projects/{P}/builds/{real}")

    # the refused build and its failed batch, as a visitor
    page.goto(f"{live_url}/projects/{P}/batches/{batch}")
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("failed")
    expect(page.locator("#body")).to_contain_text("is already built into this project")
    expect(page.locator("#body")).to_contain_text("1 failed")
    assert action_forms(page) == 0
    shot(page, "23-failed-batch-visitor")
    page.goto(f"{live_url}/projects/{P}/builds")
    shot(page, "24-builds-list")
    page.goto(f"{live_url}/projects/{P}/builds?state=failed")
    page.locator("#rows a[href^='/projects/webb/builds/']").first.click()
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("failed")
    expect(page.get_by_role("alert")).to_contain_text("is already built into this project")
    shot(page, "24-refused-build")

    # a builder: the same states, and no retry offered for a refusal
    sign_in(page, live_url, seeded.builder)
    page.goto(f"{live_url}/projects/{P}/batches/{batch}")
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("failed")
    assert page.get_by_role("button", name=re.compile("Retry")).count() == 0
    shot(page, "25-failed-batch-builder")
    page.goto(f"{live_url}/projects/{P}/builds/{real}")
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("complete")
    page.goto(f"{live_url}/projects/{P}/packages/hello")
    versions = page.locator("#versions")
    expect(versions).to_contain_text("1.0-1.el9")
    expect(versions.get_by_role("link", name=re.compile(r"^all x86_64 r\d+"))).to_be_visible()
    expect(versions.get_by_role("link", name=re.compile(r"^BaseOS x86_64 r\d+"))).to_be_visible()
    shot(page, "26-package-published")
