"""BuildBatch on the dev server with real rpmbuild: a chain, a cycle, a package whose SRPM step
fails and one whose arch build fails. Their dependents are skipped, the rest is built and
published (each Build waits for the publisher's `published` signal), and a retry builds again
only what failed or was skipped. Ordered both ways: from the SRPMs (revisions imported before
the spec facts were kept), and from the imports' spec facts (read by the import's evaluation in
the sandbox), one of which a made SRPM contradicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from olivine.batches import service as batches
from olivine.batches.retry import retry_batch
from olivine.builds.service import submit_build_batch
from olivine.db.models import Build, ImportRevision, Package
from olivine.imports.service import defines_for
from olivine.imports.specs import evaluate, spec_facts
from olivine.projects.schema import ProjectFile

from .conftest import Jobs, needs_bwrap, on_worker_loop

pytestmark = [needs_bwrap, on_worker_loop]

PACKAGES = {  # name -> (BuildRequires, what breaks)
    "liba": ([], None),
    "appa": (["liba-devel"], None),
    "cyc1": (["cyc2"], None),
    "cyc2": (["cyc1"], None),
    "badsrpm": ([], "srpm"),
    "needsbad": (["badsrpm"], None),
    "badarch": ([], "arch"),
    "needsbadarch": (["badarch-devel"], None),
}


def spec(name: str, requires: list[str], breaks: str | None) -> str:
    lines = [
        f"Name: {name}",
        "Version: 1.0",
        "Release: 1%{?dist}",
        f"Summary: {name}",
        "License: MIT",
        "BuildArch: noarch",
        *(f"BuildRequires: {r}" for r in requires),
        "Source0: missing-1.0.tar.gz" if breaks == "srpm" else "",
        "%description",
        name,
        "%package devel",
        "Summary: devel",
        "%description devel",
        "devel",
        "%prep",
        "%build",
        "echo broken build; exit 1" if breaks == "arch" else "echo ok",
        "%install",
        "%files",
        "%files devel",
        "",
    ]
    return "\n".join(lines)


def _record_facts(
    jobs: Jobs, pf: ProjectFile, name: str, spec: Path, rev_id: int, arch_tags: bool
) -> None:
    """What the import would have kept; appa's says it needs nothing (its SRPM says
    otherwise). Without arch tags (kept since), as an import before them."""
    defines = defines_for(pf, name)
    facts = spec_facts(evaluate(spec, defines), defines)
    if name == "appa":
        facts["build_requires"] = []
    if not arch_tags:
        del facts["arch_tags"]
    with jobs.svc.db.session() as s:
        rev = s.get(ImportRevision, rev_id)
        assert rev is not None
        rev.spec_facts = facts


def _seed(jobs: Jobs, tmp: Path, facts: str) -> object:
    pf = ProjectFile.model_validate(
        {
            "name": "wfb",
            "dist": ".el9",
            "arches": ["x86_64"],
            "upstream": {"url": "file:///srv/{name}.git"},
            "buildroot": {"resolve": False},
            "packages": [{"name": n} for n in PACKAGES],
        }
    )
    project = jobs.project(pf)
    for name, (reqs, breaks) in PACKAGES.items():
        tree = tmp / name
        (tree / "SPECS").mkdir(parents=True)
        (tree / "SPECS" / f"{name}.spec").write_text(spec(name, reqs, breaks))
        rev_id = jobs.pin(project, name, tree)
        if facts != "none":
            spec_path = tree / "SPECS" / f"{name}.spec"
            _record_facts(jobs, pf, name, spec_path, rev_id, facts == "arch-tags")
    return project


def _builds_of(jobs: Jobs, package: str) -> int:
    with jobs.svc.db.session() as s:
        q = select(func.count()).select_from(Build).join(Package, Package.id == Build.package_id)
        return s.scalar(q.where(Package.name == package)) or 0


@pytest.mark.parametrize(
    "facts",
    ["none", "no-arch-tags", "arch-tags"],
    ids=["from-srpms", "from-import-facts", "in-one-sandbox"],
)
async def test_batch_skips_dependents_builds_the_rest_and_retries_only_those(
    jobs: Jobs, tmp_path: Path, facts: str
) -> None:
    """In one sandbox: the import's arch tags plan one arch (noarch), so each build's SRPM is
    made in its arch build's sandbox run, and appa's contradiction is found there."""
    project = _seed(jobs, tmp_path, facts)
    sub = await submit_build_batch(jobs.ctx(), project, list(PACKAGES))  # type: ignore[arg-type]
    assert await jobs.finished(sub.task_id, 60) == "succeeded"

    view = batches.get(jobs.svc.db, sub.batch_id)
    got = {i.package: (i.status, i.reason) for i in view.items}
    for name in ("liba", "appa", "cyc1", "cyc2"):
        assert got[name][0] == "built", got
    assert got["badsrpm"][0] == "failed" and "missing-1.0.tar.gz" in (got["badsrpm"][1] or "")
    assert got["needsbad"] == ("skipped", "dependency badsrpm did not build")
    assert got["badarch"][0] == "failed"
    assert got["needsbadarch"] == ("skipped", "dependency badarch did not build")
    result = jobs.svc.tasks.get(sub.task_id).result or {}
    assert result["cycles"] == [["cyc1", "cyc2"]]
    log = "".join(c.text for c in jobs.svc.tasks.read_log(sub.task_id))
    assert "cycles, built together: cyc1 cyc2" in log
    differs = "appa: its SRPM's BuildRequires or provides differ from its import's"
    assert (differs in log) == (facts == "no-arch-tags")
    appa = next(i for i in view.items if i.package == "appa")
    appa_log = "".join(c.text for c in jobs.svc.tasks.read_log(appa.task_id or 0))
    assert "published appa-1.0-1.el9" in appa_log  # after the publisher's signal
    [arch_task] = jobs.svc.tasks.children(appa.task_id or 0)
    arch_log = "".join(c.text for c in jobs.svc.tasks.read_log(arch_task.id))
    assert ("in one sandbox run" in arch_log) == (facts == "arch-tags")
    assert ("SRPM appa-1.0-1.el9.src.rpm: arches noarch" in appa_log) == (facts != "arch-tags")
    if facts == "arch-tags":
        assert "its SRPM's BuildRequires differ from its import's: built again" in arch_log
        assert arch_task.arch == "noarch" and arch_task.status == "succeeded"
        with jobs.svc.db.session() as s:  # recorded as the SRPM step would have
            b = s.scalar(select(Build).where(Build.task_id == appa.task_id))
            assert b is not None and b.status == "complete" and b.arches == ["noarch"]
            assert (b.version, b.release) == ("1.0", "1.el9") and len(b.srpm_sha256 or "") == 64
            assert b.started_at is not None and b.started_at <= b.finished_at
        await _provenance_started_by_the_publisher(jobs, b.id)

    again = await retry_batch(jobs.ctx(), project, view)  # type: ignore[arg-type]
    assert sorted(i["package"] for i in again.items) == [
        "badarch",
        "badsrpm",
        "needsbad",
        "needsbadarch",
    ]
    assert await jobs.finished(again.task_id or 0, 120) == "succeeded"
    retried = {i.package: i.status for i in batches.get(jobs.svc.db, again.batch_id).items}
    assert retried == {
        "badsrpm": "failed",
        "needsbad": "skipped",
        "badarch": "failed",
        "needsbadarch": "skipped",
    }
    assert _builds_of(jobs, "liba") == 1 and _builds_of(jobs, "badarch") == 2


async def _provenance_started_by_the_publisher(jobs: Jobs, build_id: int) -> None:
    """An unsigned project's publish starts the build's Provenance workflow (it waits for a
    signing worker); the Build itself starts no child."""
    from temporalio.api.enums.v1 import EventType

    desc = await jobs.client.get_workflow_handle(f"provenance-{build_id}").describe()
    assert desc.workflow_type == "Provenance"
    history = await jobs.client.get_workflow_handle(f"build-{build_id}").fetch_history()
    kinds = {e.event_type for e in history.events}
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED not in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED in kinds
