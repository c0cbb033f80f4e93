"""End to end on the real stack (Temporal dev server, worker, sandboxed rpmbuild): import a
package from a local dist-git, build it, run the provenance step on a worker of `olivine-sign`
(the only place the instance key is), sign the built RPM with a throwaway gpg key and enter the
signature in the log through the same queue, then `olivine verify` it back to the upstream
commit through the API."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.worker import Worker

from olivine.api.provenance import router as provenance_router
from olivine.api.routes import log as log_routes
from olivine.cli.verify import Verifier, VerifyState
from olivine.config import Settings
from olivine.db.models import Artifact, ProjectArtifact
from olivine.signing.leaves import SignedRpmLeaf
from olivine.signing.rpmcheck import check_file
from olivine.signing.rpmheader import file_chunks, header_sha256
from olivine.workflows.client import connect
from olivine.workflows.provenance import (
    Logged,
    ProvenanceResult,
)
from tests.integration.conftest import Stack
from tests.integration.imports.helpers import commit, init_repo
from tests.integration.signing.flows import ProvenanceE2E, SignedRpmE2E
from tests.unit.signing.provenance_fixtures import gpg_key, sign_rpm, stop_agent

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "packages"
TEST_QUEUE = "provenance-e2e"

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")


def _wait(stack: Stack, task_id: int, timeout: float = 240) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = stack.client.get(f"/api/v1/tasks/{task_id}", headers=stack.as_(stack.admin_token))
        if t.json()["status"] in ("succeeded", "failed", "canceled"):
            return t.json()
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish")


def _build(stack: Stack, tmp: Path, name: str) -> tuple[int, str]:
    h = stack.as_(stack.admin_token)
    up = tmp / "up"
    root = EXAMPLES / "greet-doc"
    tree: dict[str, str | bytes | None] = {
        str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()
    }
    upstream = commit(init_repo(up / "greet-doc.git", "c9"), tree, tag="imports/c9/greet-doc-1")
    project = f"""\
name: {name}
dist: .el9
arches: [x86_64]
vendor: {{family: el, major: 9}}
upstream: {{kind: dist-git, url: "{up.as_uri()}/{{name}}.git", branch: c9}}
target: {{branch: r9}}
buildroot: {{host_provides: [gcc, make, glibc-devel]}}
packages:
  - name: greet-doc
"""
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=h,
        json={"file": project, "filename": "p.yaml", "wait": True},
    )
    assert r.status_code == 200, r.text
    r = stack.client.post(f"/api/v1/projects/{name}/import-batch", headers=h, json={"all": True})
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"
    r = stack.client.post(
        f"/api/v1/projects/{name}/builds", headers=h, json={"package": "greet-doc"}
    )
    assert r.status_code == 202, r.text
    assert _wait(stack, r.json()["task_id"])["status"] == "succeeded"
    return r.json()["build_id"], upstream


async def _on_signer(settings: Settings, start: Any) -> Any:
    """Run the test's workflows; their activities run on the session's signing worker (the
    `signer` fixture: the one worker of `olivine-sign`, whatever test started it first; a
    second one with a KEK of its own would take its requests and fail to open its keys)."""
    client = await connect(settings)
    async with Worker(client, task_queue=TEST_QUEUE, workflows=[ProvenanceE2E, SignedRpmE2E]):
        return await start(client)


def test_build_then_provenance_then_verify(
    stack: Stack, stack_settings: Settings, signer: Settings, tmp_path: Path
) -> None:
    app = stack.client.app
    app.include_router(log_routes.router)  # type: ignore[attr-defined]
    app.include_router(provenance_router)  # type: ignore[attr-defined]
    build, upstream_commit = _build(stack, tmp_path, "prov-e2e")

    async def provenance(client: Any) -> ProvenanceResult:
        return await client.execute_workflow(
            ProvenanceE2E.run, build, id=f"provenance-e2e-{build}", task_queue=TEST_QUEUE
        )

    res = asyncio.run(_on_signer(stack_settings, provenance))
    assert res.build_id == build

    with stack.services.db.session() as s:
        art = (
            s.query(Artifact)
            .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
            .filter(ProjectArtifact.build_id == build, Artifact.arch == "noarch")
            .one()
        )
        sha, filename = art.sha256, art.filename
    rpm = stack.services.store.download(sha, tmp_path / filename)
    key = gpg_key(tmp_path)
    try:
        sign_rpm(rpm, key)
    finally:
        stop_agent(key)
    signed = stack.services.store.put_file(rpm).sha256
    leaf = SignedRpmLeaf(
        "prov-e2e", sha, signed, key.fingerprint, header_sha256(file_chunks(str(rpm)))
    )

    async def log_signature(client: Any) -> Logged:
        return await client.execute_workflow(
            SignedRpmE2E.run, leaf, id=f"signed-rpm-e2e-{build}", task_queue=TEST_QUEUE
        )

    logged = asyncio.run(_on_signer(stack_settings, log_signature))
    assert logged.new and logged.size == logged.index + 1

    h = stack.as_(stack.admin_token)
    assert (
        stack.client.get(f"/provenance/prov-e2e/{build}.intoto.jsonl", headers=h).status_code == 200
    )
    note_key = stack.client.get("/api/v1/log/key").json()["note_key"]
    v = Verifier(
        stack.client,
        VerifyState.load(tmp_path / "state"),
        "http://testserver",
        [key.public],
        note_key,
    )
    chain = v.check(check_file(rpm, [key.public]))
    assert chain.upstream.endswith("@" + upstream_commit)
    assert chain.build.endswith(f"/api/v1/builds/{build}")
    assert chain.nevra.startswith("greet-doc-")
    assert chain.file.startswith(f"signed copy by key {key.fingerprint}")  # signed afterwards
