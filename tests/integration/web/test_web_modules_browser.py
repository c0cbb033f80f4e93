"""The module pages in Debian's Chromium (Playwright) against the real app, after a real module
build (Temporal, worker, rpmbuild in bubblewrap): an anonymous visitor reads the project's module
streams (version, context, NSVC, status, dist tag, arches), one stream's context with its
components in their build groups, each with its build and its build task, and the module build's
task with the component builds as subtasks; no action control is offered to the visitor, while a
builder of the project gets the form that builds a stream, and building the same import again
is refused with the reason. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from olivine.auth.service import AuthService
from olivine.imports.service import ProjectRef
from olivine.projects.schema import ProjectFile
from olivine.projects.service import ProjectService
from tests.integration.conftest import Stack
from tests.integration.modules.test_module_e2e import T1, T2, _build_module, _import
from tests.integration.modules.upstream import (
    COMPONENTS,
    project_spec,
    write_components,
    write_module,
)
from tests.integration.web.seed import Seeded
from tests.integration.web.test_web_browser import (  # noqa: F401 (fixtures)
    action_forms,
    browser,
    seeded,
    shot,
    sign_in,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing"),
]
GROUPS = {"liba": 1, "libb": 1, "tool": 2}


def test_visitor_reads_module_streams_components_and_tasks(
    browser: BrowserContext,  # noqa: F811
    live_url: str,
    stack: Stack,
    seeded: Seeded,  # noqa: F811
    tmp_path: Path,
) -> None:
    up = tmp_path / "up"
    write_components(up, "1.0", T1)
    write_module(up, "1", T2)
    pf = ProjectFile(**project_spec(up, "modweb", "stream-1"))
    ref = ProjectRef(ProjectService(stack.services.db).apply(pf, None).project_id, pf)
    _import(stack, ref, *COMPONENTS, "demo")
    started = _build_module(stack, "modweb", "demo:1")
    h = stack.as_(stack.admin_token)
    [ctx] = stack.client.get("/api/v1/projects/modweb/modules/demo/1", headers=h).json()["contexts"]
    comps = {c["name"]: c for c in ctx["components"]}

    page = browser.new_page()
    page.goto(f"{live_url}/projects/modweb")
    page.get_by_role("link", name="Modules", exact=True).click()
    table = page.get_by_role("table", name="Module streams of modweb")
    row = table.get_by_role("row").filter(has_text=ctx["nsvc"])
    expect(row).to_have_count(1)
    cells = row.get_by_role("cell")
    expect(row.get_by_role("rowheader")).to_have_text("demo:1")
    expect(cells.nth(0)).to_have_text(ctx["version"])
    expect(cells.nth(1)).to_have_text(ctx["context"])
    expect(cells.nth(2)).to_have_text(ctx["nsvc"])
    expect(cells.nth(3)).to_have_text("complete")
    expect(cells.nth(3).locator(".status")).to_have_class("status s-complete")  # green, as builds
    expect(cells.nth(4)).to_have_text(ctx["dist_tag"])
    expect(cells.nth(5)).to_have_text("x86_64")
    assert action_forms(page) == 0
    assert page.get_by_role("button", name="Build module").count() == 0
    assert page.get_by_label("Module stream").count() == 0
    shot(page, "20-modules-visitor")

    row.get_by_role("link", name="demo:1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("demo:1")
    section = page.get_by_role("region", name=ctx["nsvc"])
    expect(section.get_by_role("heading", level=2)).to_have_text(f"{ctx['nsvc']} complete")
    expect(section).to_contain_text(f"Version {ctx['version']} · context {ctx['context']}")
    expect(section).to_contain_text("built against platform:el9.4.0")
    expect(section).to_contain_text("requires platform:[el9]")
    parts = section.get_by_role("table", name=f"Components of {ctx['nsvc']}")
    expect(parts.get_by_role("rowheader")).to_have_text(["liba", "libb", "tool"])
    for name, group in GROUPS.items():
        c = comps[name]
        r = parts.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=name, exact=True)
        )
        expect(r.get_by_role("cell").first).to_have_text(str(group))
        expect(r.get_by_role("cell").nth(1)).to_have_text("complete")
        expect(r.get_by_role("link", name=f"build {c['build_id']}", exact=True)).to_be_visible()
        expect(r.get_by_role("link", name=f"task {c['task_id']}", exact=True)).to_be_visible()
        expect(r).to_contain_text(c["commit"][:12])
    assert action_forms(page) == 0
    shot(page, "21-module-stream-visitor")

    tool = parts.get_by_role("row").filter(has=page.get_by_role("rowheader", name="tool"))
    tool.get_by_role("link", name=f"task {comps['tool']['task_id']}").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"Task {comps['tool']['task_id']}")
    expect(heading.locator(".status")).to_have_text("succeeded")
    expect(page.locator("main")).to_contain_text(f"build tool for module {ctx['nsvc']}")
    assert action_forms(page) == 0
    shot(page, "22-module-component-task")

    page.go_back()
    page.get_by_role("link", name=f"module build task {started['task_id']}").click()
    expect(page.get_by_role("heading", level=1).locator(".status")).to_have_text("succeeded")
    subtasks = page.get_by_role("region", name="Subtasks")
    for name in GROUPS:
        expect(subtasks).to_contain_text(f"build {name} for module {ctx['nsvc']}")
    assert action_forms(page) == 0
    shot(page, "23-module-build-task")

    page.goto(f"{live_url}/projects/modweb/modules/{ctx['nsvc'].split(':')[0]}/nosuch")
    expect(page.locator("main")).to_contain_text(
        "project modweb has no build of module demo:nosuch"
    )

    AuthService(stack.services.db).grant("modweb", "bob", "builder", None)
    sign_in(page, live_url, seeded.builder)
    page.goto(f"{live_url}/projects/modweb/modules")
    expect(page.get_by_label("Module stream")).to_be_visible()
    expect(page.get_by_role("button", name="Build module")).to_be_visible()
    shot(page, "24-modules-builder")
    page.get_by_label("Module stream").fill("demo:1")  # the same import again: the same NSVC
    page.get_by_role("button", name="Build module").click()
    expect(page.get_by_role("alert")).to_contain_text("module demo:1 from forge commit")
    expect(page.get_by_role("alert")).to_contain_text("the same import gives the same NSVC")
    shot(page, "25-module-rebuild-refused")
