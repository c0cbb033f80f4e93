"""The build pages, the search box, the package page's publications and the batch outcome
through the real app (TestClient, no Temporal): what a visitor and a builder see."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Build
from tests.integration.web.seed import (
    REASON,
    REFUSED,
    SKIPPED,
    Refusals,
    Seeded,
    seed_refusals,
)
from tests.integration.web.test_web_pages import app_client, login, no_actions, seeded

__all__ = ["app_client", "seeded"]


def _bash_build(db: Database) -> int:
    with db.session() as s:
        found = s.scalar(select(Build.id).where(Build.reason == REASON))
        assert found is not None
        return found


def test_build_page_as_a_visitor(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    b = _bash_build(db)
    page = app_client.get(f"/projects/pub/builds/{b}")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"Build {b} " in text and 's-failed">failed' in text and html.escape(REASON) in text
    assert f'href="/tasks/{seeded.build_task}"' in text  # the build's log
    assert f'href="/tasks/{seeded.arch_task}"' in text  # the arch's log
    assert "gcc-11.4-1.x86_64" in text and "d" * 16 in text  # its build root
    assert "a" * 40 in text and "b" * 40 in text and "c" * 40 in text  # upstream, patch, forge
    assert 'href="/projects/pub/packages/bash#import-' in text
    assert "No provenance recorded" in text and "Z</time>" in text
    no_actions(text)
    assert app_client.get("/projects/pub/builds/999999").status_code == 404
    assert (
        app_client.get(f"/projects/priv/builds/{b}").status_code == 404
    )  # private and missing look alike


def test_builds_list_filters(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    b = _bash_build(db)
    assert 'href="/projects/pub/builds"' in app_client.get("/projects/pub").text
    page = app_client.get("/projects/pub/builds")
    assert f'href="/projects/pub/builds/{b}"' in page.text
    page = app_client.get("/projects/pub/builds", params={"package": "hello"})
    assert f'href="/projects/pub/builds/{b}"' not in page.text and "No builds match" in page.text
    page = app_client.get("/projects/pub/builds", params={"package": "bash", "state": "failed"})
    assert f'href="/projects/pub/builds/{b}"' in page.text
    bad = app_client.get("/projects/pub/builds", params={"state": "bogus"})
    assert bad.status_code == 422 and "state must be one of" in bad.text


def test_refused_and_skipped_builds(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    r: Refusals = seed_refusals(db)
    page = app_client.get(f"/projects/pub/builds/{r.refused_build}").text
    assert 's-failed">failed' in page and html.escape(REFUSED) in page
    page = app_client.get(f"/projects/pub/builds/{r.skipped_build}").text
    assert "Its batch" in page and "skipped it: " + SKIPPED in page


def test_batch_outcome_and_retry_rule(app_client: TestClient, seeded: Seeded, db: Database) -> None:
    r = seed_refusals(db)
    batch = app_client.get(f"/projects/pub/batches/{r.batch_id}").text
    heading = batch[batch.index("<h1>") : batch.index("</h1>")]
    assert 's-failed">failed' in heading  # not the task's `succeeded`
    assert "1 failed" in batch and "1 skipped" in batch and "refused: a retry" in batch
    assert f'href="/projects/pub/builds/{r.refused_build}"' in batch
    listing = app_client.get("/projects/pub/batches").text
    assert f'/projects/pub/batches/{r.batch_id}"' in listing and "s-succeeded" not in listing
    login(app_client, seeded.builder)
    batch = app_client.get(f"/projects/pub/batches/{r.batch_id}").text
    assert "Retry 1 failed" in batch and "1 refused, not retried" in batch  # only the skipped


def test_search_finds_what_the_caller_may_see(
    app_client: TestClient, seeded: Seeded, db: Database
) -> None:
    b = _bash_build(db)
    page = app_client.get("/")
    assert 'action="/search"' in page.text and 'role="search"' in page.text
    found = app_client.get("/search", params={"q": "bash-5.1.8"}).text
    assert f'href="/projects/pub/builds/{b}"' in found
    found = app_client.get("/search", params={"q": f"#{b}"}).text
    assert f'href="/projects/pub/builds/{b}"' in found
    found = app_client.get("/search", params={"q": "hel"}).text
    assert 'href="/projects/pub/packages/hello"' in found
    assert "/projects/priv/" not in found  # priv's hello is hidden from a visitor
    found = app_client.get("/search", params={"q": "pr"}).text
    assert 'href="/projects/priv"' not in found
    found = app_client.get("/search", params={"q": str(seeded.private_task)}).text
    assert f'href="/tasks/{seeded.private_task}"' not in found and "Nothing found" in found
    found = app_client.get("/search", params={"q": str(seeded.build_task)}).text
    assert f'href="/tasks/{seeded.build_task}"' in found
    login(app_client, seeded.builder)  # a builder of priv sees it
    found = app_client.get("/search", params={"q": "hel"}).text
    assert 'href="/projects/priv/packages/hello"' in found
    found = app_client.get("/search", params={"q": str(seeded.private_task)}).text
    assert f'href="/tasks/{seeded.private_task}"' in found


def test_package_lists_show_the_all_repository(app_client: TestClient, seeded: Seeded) -> None:
    page = app_client.get("/projects/pub").text
    assert "all, BaseOS" in page
    pkg = app_client.get("/projects/pub/packages/bash").text
    assert 'id="versions"' in pkg and "not published" in pkg


def test_canceled_batch_shows_canceled_on_parent_and_children(
    app_client: TestClient, seeded: Seeded, db: Database
) -> None:
    from olivine.db.models import Batch, BatchItem
    from olivine.projects.service import ProjectService
    from olivine.tasks.service import TaskService

    projects, tasks = ProjectService(db), TaskService(db)
    pub = projects.get("pub").id
    parent = tasks.create("build-batch", project_id=pub, summary="build 2 packages in pub")
    kids = [
        tasks.create("build", project_id=pub, package_id=projects.package_id("pub", n)[1],
                     parent_id=parent)
        for n in ("bash", "hello")
    ]  # fmt: skip
    for t in (*kids, parent):
        tasks.finish(t, "canceled", error="canceled")
    with db.session() as s:
        batch = Batch(kind="build", project_id=pub, task_id=parent)
        s.add(batch)
        s.flush()
        for n, t in zip(("bash", "hello"), kids, strict=True):
            pkg = projects.package_id("pub", n)[1]
            s.add(BatchItem(batch_id=batch.id, package_id=pkg, task_id=t, status="canceled"))
        bid = batch.id
    page = app_client.get(f"/projects/pub/batches/{bid}").text
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert 's-canceled">canceled' in heading and "2 canceled" in page
    assert page.count('s-canceled">canceled') == 3  # the batch and each of its packages
    assert "Retry" not in page


def test_bad_input_is_a_clear_4xx(app_client: TestClient, seeded: Seeded) -> None:
    for q in ("99999999999999999999", "#99999999999", "%_", "'; drop table builds; --"):
        r = app_client.get("/search", params={"q": q})
        assert r.status_code == 200 and "Nothing found" in r.text, q
    r = app_client.get("/projects/pub/builds/99999999999")
    assert r.status_code == 422 and "build_id" in r.text
    assert app_client.get("/search", params={"q": "x" * 300}).status_code == 422


def test_provenance_links_once_the_build_has_provenance(
    app_client: TestClient, seeded: Seeded, db: Database
) -> None:
    """Runs once the provenance component (its `provenance` table) is merged."""
    from olivine.db import models

    table = getattr(models, "Provenance", None)
    if table is None:
        pytest.skip("the provenance component is not in this tree")
    b = _bash_build(db)
    with db.session() as s:
        pid = s.scalar(select(Build.project_id).where(Build.id == b))
        digests = {
            f"{k}_sha256": str(i) * 64 for i, k in enumerate(("statement", "envelope", "sbom"))
        }
        s.add(table(build_id=b, project_id=pid, leaf_index=0, keyid="k", **digests))
    page = app_client.get(f"/projects/pub/builds/{b}").text
    assert f'href="/provenance/pub/{b}.intoto.jsonl"' in page
    assert f'href="/provenance/pub/{b}.spdx.json"' in page
    assert "Not verified" in page and "Verified</strong>" not in page  # no such envelope
