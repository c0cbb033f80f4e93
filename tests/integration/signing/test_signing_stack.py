"""The whole path through the real stack: the API, the Temporal dev server, a worker for the
orchestration/repo queues and a *separate* signing worker holding the KEK. Keys are imported and
exported through the API; the project's publisher signs RPMs and repomd.xml on `olivine-sign`;
`resign` and `revoke` work; nothing the API, the tasks or Temporal's history carry holds private
material."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.models import Task
from olivine.db.models.signing import RpmSignature
from olivine.projects.loader import load_project_text
from olivine.projects.service import ProjectService
from olivine.signing import keys
from olivine.workflows.client import connect
from tests.integration.conftest import Stack
from tests.unit.signing.helpers import build_outputs, no_private, pulp_rpms


def _project(db: Database, name: str, extra: str = "") -> int:
    text = f"""name: {name}
arches: [x86_64]
upstream: {{kind: srpm, url: "file:///nowhere/{{name}}.src.rpm"}}
repositories:
  - name: BaseOS
packages:
  - name: animals
{extra}"""
    ProjectService(db).apply(load_project_text(text), None)
    from olivine.db.models import Project

    with db.session() as s:
        return s.scalars(select(Project.id).where(Project.name == name)).one()


def _wait(stack: Stack, pred: Any, timeout: float = 120) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _task_of(stack: Stack, kind: str, project_id: int) -> dict[str, Any] | None:
    with stack.services.db.session() as s:
        t = s.scalars(
            select(Task)
            .where(Task.kind == kind, Task.project_id == project_id)
            .order_by(Task.id.desc())
        ).first()
    if t is None or t.status not in ("succeeded", "failed", "canceled"):
        return None
    r = stack.client.get(f"/api/v1/tasks/{t.id}", headers=stack.as_(stack.admin_token))
    return r.json()


def _history(stack: Stack, workflow_id: str) -> str:
    async def fetch() -> str:
        client = await connect(stack.services.settings, attempts=5)
        hist = await client.get_workflow_handle(workflow_id).fetch_history()
        return json.dumps(hist.to_json_dict())

    return asyncio.run(fetch())


def test_key_endpoints_tasks_and_temporal_never_carry_private_material(
    stack: Stack, signer: Settings, rsa_key: keys.KeyMaterial
) -> None:
    pid = _project(stack.services.db, "keys1")
    admin = stack.as_(stack.admin_token)
    url = "/api/v1/projects/keys1/keys"
    anon = stack.client.post(url, json={"private_key": rsa_key.secret.decode()})
    assert anon.status_code == 401
    bad = stack.client.post(url, headers=admin, json={"private_key": rsa_key.public_key})
    assert bad.status_code == 422 and "public key only" in bad.json()["detail"]
    r = stack.client.post(url, headers=admin, json={"private_key": rsa_key.secret.decode()})
    assert r.status_code == 201, r.text
    fpr = r.json()["fingerprint"]
    assert fpr == rsa_key.info.fingerprint and r.json()["is_default"]
    answers = [r.text, bad.text]
    for path in ("", f"/{fpr}", "/default", "/audit", "/signatures"):
        got = stack.client.get(url + path)
        assert got.status_code == 200, (path, got.text)
        answers.append(got.text)
    assert stack.client.get(url + "/default").text == rsa_key.public_key
    tasks = stack.client.get("/api/v1/tasks", headers=admin, params={"project": "keys1"})
    answers.append(tasks.text)
    with stack.services.db.session() as s:
        ids = s.scalars(select(Task.id).where(Task.project_id == pid)).all()
    for tid in ids:
        answers.append(stack.client.get(f"/api/v1/tasks/{tid}", headers=admin).text)
        answers.append(stack.client.get(f"/api/v1/tasks/{tid}/logs", headers=admin).text)
    with stack.services.db.session() as s:
        from olivine.db.models.signing import KeyRequest

        reqs = s.scalars(select(KeyRequest.id)).all()
    for rid in reqs:
        answers.append(_history(stack, f"key-request-{rid}"))
    for text in answers:
        no_private(text, rsa_key.secret, rsa_key.public_key)
    actions = [e["action"] for e in stack.client.get(url + "/audit").json()]
    assert "imported" in actions and "exported" in actions


def test_the_publisher_signs_rpms_and_repomd_then_resign_and_revoke(
    stack: Stack,
    signer: Settings,
    rsa_key: keys.KeyMaterial,
    rsa_key2: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    db, store = stack.services.db, stack.services.store
    pid = _project(db, "keys2")
    admin = stack.as_(stack.admin_token)
    url = "/api/v1/projects/keys2/keys"
    assert (
        stack.client.post(
            url, headers=admin, json={"private_key": rsa_key.secret.decode()}
        ).status_code
        == 201
    )
    build_outputs(db, store, pid, pulp_rpms()[:3])
    assert (
        stack.client.post(
            "/api/v1/projects/keys2/publish", headers=admin, json={"full": True}
        ).status_code
        == 202
    )
    repo = "/repos/keys2/BaseOS/x86_64/repodata/"
    asc = _wait(
        stack,
        lambda: (r := stack.client.get(repo + "repomd.xml.asc")).status_code == 200 and r.text,
    )
    (tmp_path / "repomd.xml").write_bytes(stack.client.get(repo + "repomd.xml").content)
    (tmp_path / "repomd.xml.asc").write_text(asc)
    (tmp_path / "k.asc").write_text(rsa_key.public_key)
    gh = tmp_path / "gh"
    gh.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--homedir", gh, "--batch", "--import", tmp_path / "k.asc"],
        check=True,
        capture_output=True,
    )
    ok = subprocess.run(
        [
            "gpg",
            "--homedir",
            gh,
            "--batch",
            "--verify",
            tmp_path / "repomd.xml.asc",
            tmp_path / "repomd.xml",
        ],
        capture_output=True,
        text=True,
    )
    subprocess.run(["gpgconf", "--homedir", gh, "--kill", "gpg-agent"], capture_output=True)
    assert ok.returncode == 0 and "Good signature" in ok.stderr
    sigs = stack.client.get(url + "/signatures").json()
    assert len(sigs) == 3 and {s["fingerprint"] for s in sigs} == {rsa_key.info.fingerprint}
    sign_task = _wait(stack, lambda: _task_of(stack, "sign", pid))
    assert sign_task["status"] == "succeeded"

    # rotation and resign: the new default signs again what the old key signed
    assert (
        stack.client.post(
            url, headers=admin, json={"private_key": rsa_key2.secret.decode()}
        ).status_code
        == 201
    )
    r = stack.client.post(
        url + "/resign", headers=admin, json={"from_fingerprint": rsa_key.info.fingerprint}
    )
    assert r.status_code == 202, r.text
    done = _wait(stack, lambda: _task_of(stack, "resign", pid), timeout=180)
    assert done["status"] == "succeeded", done
    with db.session() as s:
        by_new = s.scalars(
            select(RpmSignature).where(RpmSignature.fingerprint == rsa_key2.info.fingerprint)
        ).all()
    assert len(by_new) == 3 and all(x.signed_artifact_id for x in by_new)

    revoked = stack.client.post(
        f"{url}/{rsa_key.info.fingerprint}/revoke",
        headers=admin,
        json={"reason": "test compromise"},
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    marked = [s for s in stack.client.get(url + "/signatures").json() if s["key_revoked"]]
    assert len(marked) == 3
    key = stack.client.get("/repos/keys2/BaseOS/x86_64/RPM-GPG-KEY").text
    assert key == rsa_key2.public_key  # the revoked key is no longer offered to dnf


def test_required_signing_without_a_key_publishes_nothing(stack: Stack, signer: Settings) -> None:
    db, store = stack.services.db, stack.services.store
    pid = _project(db, "keys3", extra="signing: required\n")
    build_outputs(db, store, pid, pulp_rpms()[:1])
    admin = stack.as_(stack.admin_token)
    assert (
        stack.client.post(
            "/api/v1/projects/keys3/publish", headers=admin, json={"full": True}
        ).status_code
        == 202
    )
    t = _wait(stack, lambda: _task_of(stack, "sign", pid))
    assert t["status"] == "failed" and "signing: required" in t["error"]
    assert stack.client.get("/repos/keys3/BaseOS/x86_64/repodata/repomd.xml").status_code == 404


def test_key_create_runs_on_the_signer(stack: Stack, signer: Settings) -> None:
    extra = (
        "vendor: {family: generic}\nmacros: {vendor: Acme, packager: 'Rel <rel@acme.example>'}\n"
    )
    _project(stack.services.db, "keys4", extra=extra)
    _project(stack.services.db, "keys5")
    admin = stack.as_(stack.admin_token)
    r = stack.client.post(
        "/api/v1/projects/keys4/keys",
        headers=admin,
        json={"algorithm": "ed25519", "expiry_days": 30},
    )
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == "Acme keys4 signing key <rel@acme.example>"
    assert r.json()["algorithm"] == "ed25519" and r.json()["expires_at"]
    public = stack.client.get("/api/v1/projects/keys4/keys/default").text
    assert public.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----") and "PRIVATE" not in r.text
    el = stack.client.post(
        "/api/v1/projects/keys5/keys", headers=admin, json={"algorithm": "ed25519"}
    )
    assert el.status_code == 422 and "needs an RSA key" in el.json()["detail"]


def test_a_failed_signature_stops_a_required_publish(
    stack: Stack, signer: Settings, rsa_key: keys.KeyMaterial
) -> None:
    from olivine.db.models.signing import SigningKey

    db, store = stack.services.db, stack.services.store
    pid = _project(db, "keys6", extra="signing: required\n")
    admin = stack.as_(stack.admin_token)
    r = stack.client.post(
        "/api/v1/projects/keys6/keys", headers=admin, json={"private_key": rsa_key.secret.decode()}
    )
    assert r.status_code == 201, r.text
    with db.session() as s:  # the sealed secret no longer opens: every signature fails
        k = s.scalars(select(SigningKey).where(SigningKey.project_id == pid)).one()
        k.sealed_secret = k.sealed_secret[:-1] + bytes([k.sealed_secret[-1] ^ 1])
    build_outputs(db, store, pid, pulp_rpms()[:1])
    assert (
        stack.client.post(
            "/api/v1/projects/keys6/publish", headers=admin, json={"full": True}
        ).status_code
        == 202
    )
    t = _wait(stack, lambda: _task_of(stack, "sign", pid))
    assert t["status"] == "failed" and "does not open with this signer's KEK" in t["error"]
    no_private(json.dumps(t), rsa_key.secret, rsa_key.public_key)
    assert stack.client.get("/repos/keys6/BaseOS/x86_64/repodata/repomd.xml").status_code == 404


def _tasks(db: Database, kind: str, project_id: int) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(select(Task.id).where(Task.kind == kind, Task.project_id == project_id))
        )


def test_signing_jobs_are_on_the_job_layer(stack: Stack, signer: Settings) -> None:
    """key create and resign: a repeated Idempotency-Key is one job; a key request committed by
    an API that died before starting it is started by the reconciler."""
    from datetime import timedelta

    from olivine.jobs.context import JobContext
    from olivine.jobs.starter import reconcile
    from olivine.signing.submit import record_key_request

    db = stack.services.db
    pid = _project(db, "keys7", extra="vendor: {family: generic}\n")
    url, admin = "/api/v1/projects/keys7/keys", stack.as_(stack.admin_token)
    once = {**admin, "Idempotency-Key": "create-1"}
    body = {"algorithm": "ed25519", "expiry_days": 30}
    first = stack.client.post(url, headers=once, json=body)
    again = stack.client.post(url, headers=once, json=body)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["fingerprint"] == again.json()["fingerprint"]
    assert len(stack.client.get(url).json()) == 1 and len(_tasks(db, "key-create", pid)) == 1
    other = stack.client.post(url, headers=once, json={**body, "expiry_days": 31})
    assert other.status_code == 409 and "different request" in other.json()["detail"]

    twice = {**admin, "Idempotency-Key": "resign-1"}
    r1 = stack.client.post(url + "/resign", headers=twice, json={})
    r2 = stack.client.post(url + "/resign", headers=twice, json={})
    assert r1.status_code == r2.status_code == 202 and r1.json() == r2.json()
    assert r1.json()["workflow_id"] == f"resign-{r1.json()['task_id']}"
    assert _tasks(db, "resign", pid) == [r1.json()["task_id"]]
    assert _wait(stack, lambda: _task_of(stack, "resign", pid))["status"] == "succeeded"

    async def died_then_reconciled() -> tuple[int, list[str]]:
        client = await connect(stack.services.settings, attempts=5)

        async def fn() -> Any:
            return client

        ctx = JobContext(stack.services, fn, None)
        sub, start = await asyncio.to_thread(
            record_key_request, ctx, "keys7", "create", {**body, "make_default": False}
        )
        assert start is not None  # recorded; the launch that would follow never ran
        started = await reconcile(db, client, older_than=timedelta(0))
        return sub.task_id, started

    task_id, started = asyncio.run(died_then_reconciled())
    with db.session() as s:
        wf = s.get(Task, task_id).workflow_id  # type: ignore[union-attr]
    assert wf in started and wf.startswith("key-request-")
    done = _wait(
        stack, lambda: _task_of(stack, "key-create", pid) if _finished(db, task_id) else None
    )
    assert done["id"] == task_id and done["status"] == "succeeded", done
    assert len(stack.client.get(url).json()) == 2


def _finished(db: Database, task_id: int) -> bool:
    with db.session() as s:
        t = s.get(Task, task_id)
        return t is not None and t.status in ("succeeded", "failed", "canceled")
