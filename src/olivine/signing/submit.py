"""submit() of the signing job kinds on the job layer: `resign` (workflow `Resign`, ID
`resign-<task id>`) and `key-create` / `key-import` (workflow `KeyRequest`, ID
`key-request-<request id>`). Each writes its task, its domain rows and its workflow's start in
one transaction (`record_job`, with the caller's Idempotency-Key); `ctx.submit` then starts the
workflow, and the reconciler starts it if that start is lost. The `sign` steps of a publish are
not a job of their own: the project's publisher (a job already) runs them."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.models import Project
from olivine.db.models.signing import KeyRequest
from olivine.errors import NotFound
from olivine.jobs.context import JobContext
from olivine.jobs.submit import Start, record_job
from olivine.signing.inbox import seal_for_signer
from olivine.signing.jobs import (
    KeyRequestInput,
    KeyRequestSubmitted,
    ResignInput,
    ResignSubmitted,
)
from olivine.signing.keystore import KeyBook
from olivine.tasks.service import add_task

RESIGN_WORKFLOW = "Resign"
KEY_REQUEST_WORKFLOW = "KeyRequest"


def key_request_workflow_id(request_id: int) -> str:
    return f"key-request-{request_id}"


def _project(s: Session, name: str) -> Project:
    p = s.scalar(select(Project).where(Project.name == name))
    if p is None:
        raise NotFound(f"project {name} does not exist")
    return p


def record_key_request(
    ctx: JobContext,
    project: str,
    kind: str,
    params: dict[str, Any],
    armored: bytes | None = None,
) -> tuple[KeyRequestSubmitted, Start | None]:
    """The API side of `key create` / `key import`: an upload is sealed to the signer's inbox at
    once (it fails fast when no signer ever started); the request row, its task and its start
    are one transaction. The key scope holds the upload's sha256, never the upload."""
    sealed = seal_for_signer(ctx.svc.db, armored or b"")
    upload = hashlib.sha256(armored).hexdigest() if armored is not None else None

    def write(s: Session) -> tuple[Start, KeyRequestSubmitted]:
        p = _project(s, project)
        req = KeyRequest(
            project_id=p.id,
            kind=kind,
            params=params,
            sealed_input=sealed if armored is not None else None,
            actor_id=ctx.submitter_id,
        )
        s.add(req)
        s.flush()
        wf = key_request_workflow_id(req.id)
        task = add_task(
            s,
            f"key-{kind}",
            project_id=p.id,
            submitter_id=ctx.submitter_id,
            summary=f"key {kind} for {project}",
            params={"request": req.id},
            workflow_id=wf,
        )
        start = Start(task.id, KEY_REQUEST_WORKFLOW, wf, KeyRequestInput(task.id, req.id))
        return start, KeyRequestSubmitted(task.id, req.id, wf)

    key = ctx.key(f"key-{kind}", project=project, params=params, upload=upload)
    return record_job(ctx.svc.db, key, write, lambda d: KeyRequestSubmitted(**d))


async def submit_key_request(
    ctx: JobContext,
    project: str,
    kind: str,
    params: dict[str, Any],
    armored: bytes | None = None,
) -> KeyRequestSubmitted:
    return await ctx.submit(record_key_request, project, kind, params, armored)


def record_resign(
    ctx: JobContext, project: str, from_fingerprint: str | None, imported: bool
) -> tuple[ResignSubmitted, Start | None]:
    if KeyBook(ctx.svc.db).default(project) is None:  # NotFound for a project that is not
        raise NotFound(f"project {project} has no default key (olivine key create {project})")

    def write(s: Session) -> tuple[Start, ResignSubmitted]:
        p = _project(s, project)
        task = add_task(
            s,
            "resign",
            project_id=p.id,
            submitter_id=ctx.submitter_id,
            summary=f"re-sign {project}",
            params={"from": from_fingerprint, "imported": imported},
        )
        task.workflow_id = f"resign-{task.id}"
        inp = ResignInput(task.id, project, from_fingerprint, imported)
        start = Start(task.id, RESIGN_WORKFLOW, task.workflow_id, inp)
        return start, ResignSubmitted(task.id, task.workflow_id, project)

    key = ctx.key("resign", project=project, from_fingerprint=from_fingerprint, imported=imported)
    return record_job(ctx.svc.db, key, write, lambda d: ResignSubmitted(**d))


async def submit_resign(
    ctx: JobContext, project: str, from_fingerprint: str | None, imported: bool
) -> ResignSubmitted:
    return await ctx.submit(record_resign, project, from_fingerprint, imported)
