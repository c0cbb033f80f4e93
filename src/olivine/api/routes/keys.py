"""Signing keys of a project in /api/v1 (`olivine key ...`). The API process holds no KEK: it
records a key request (an uploaded private key sealed at once to the signer's inbox) and the
signing worker carries it out. No answer here ever holds private material: the models below name
every field an answer may carry."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from olivine.api.deps import Caller, Svc, project_for, require_user
from olivine.api.temporal import job_context, temporal
from olivine.auth.policy import Action
from olivine.db.models import Artifact
from olivine.db.models.signing import RpmSignature
from olivine.errors import Conflict, ServiceFailure, Unavailable, ValidationFailed
from olivine.signing import service
from olivine.signing.jobs import KeyRequestResult
from olivine.signing.keys import DEFAULT_EXPIRY_DAYS
from olivine.signing.keystore import KeyBook, KeySummary
from olivine.workflows.tasks import error_message

router = APIRouter(prefix="/api/v1/projects/{project}/keys", tags=["keys"])
KEY_REQUEST_WAIT = 300  # seconds the API waits for the signer to make or import a key


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    algorithm: str = Field("rsa4096", description="rsa4096 (needed for family el) or ed25519")
    expiry_days: int = Field(DEFAULT_EXPIRY_DAYS, ge=1, le=7300)
    user_id: str | None = Field(None, description="default: from the project's macros")
    private_key: str | None = Field(
        None, description="an armored private key to import instead of making one"
    )
    make_default: bool = True


class KeyOut(BaseModel):
    fingerprint: str
    algorithm: str
    user_id: str
    origin: str
    state: str
    is_default: bool
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1)


class ResignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_fingerprint: str | None = Field(None, description="default: every RPM of the project")
    imported: bool = Field(False, description="re-sign RPMs brought in with `rpm import` too")


class TaskOut(BaseModel):
    task_id: int
    workflow_id: str


class AuditOut(BaseModel):
    id: int
    fingerprint: str
    action: str
    actor_id: int | None
    detail: dict[str, Any]
    created_at: datetime


class SignatureOut(BaseModel):
    filename: str
    unsigned_sha256: str
    signed_sha256: str
    fingerprint: str
    key_revoked: bool
    created_at: datetime


def _out(k: KeySummary) -> KeyOut:
    fields = {f: getattr(k, f) for f in KeyOut.model_fields}
    return KeyOut(**fields)


@router.get("", response_model=list[KeyOut])
def list_keys(project: str, svc: Svc, who: Caller) -> list[KeyOut]:
    project_for(svc, who, project, Action.READ)
    return [_out(k) for k in KeyBook(svc.db).list_keys(project)]


@router.post("", response_model=KeyOut, status_code=201)
async def create_key(project: str, body: KeyIn, request: Request, svc: Svc, who: Caller) -> KeyOut:
    """Make a key (`key create`) or import an armored private key (`key import`), on the signer."""
    require_user(who)
    await run_in_threadpool(project_for, svc, who, project, Action.MANAGE)
    kind = "import" if body.private_key else "create"
    params = body.model_dump(exclude={"private_key"})
    armored = body.private_key.encode() if body.private_key else None
    sub = await service.submit_key_request(
        job_context(request, who), project, kind, params, armored
    )
    handle = (await temporal(request)).get_workflow_handle(
        sub.workflow_id, result_type=KeyRequestResult
    )
    try:
        out = await asyncio.wait_for(handle.result(), KEY_REQUEST_WAIT)
    except TimeoutError:
        raise ServiceFailure(
            f"the signing worker did not answer in {KEY_REQUEST_WAIT} s: the request goes on as "
            f"task {sub.task_id}"
        ) from None
    except WorkflowFailureError as e:
        raise ValidationFailed(error_message(e.cause) if e.cause else str(e)) from None
    except RPCError:  # not started yet (Temporal away): the reconciler starts it
        raise Unavailable(
            f"the key request is recorded as task {sub.task_id} but could not start yet; "
            "it starts when Temporal answers"
        ) from None
    return _out(await run_in_threadpool(KeyBook(svc.db).get, project, out.fingerprint))


@router.get("/audit", response_model=list[AuditOut])
def audit(project: str, svc: Svc, who: Caller) -> list[AuditOut]:
    """Who created, imported, exported, rotated, revoked a key, and when."""
    project_for(svc, who, project, Action.READ)
    return [AuditOut(**e.__dict__) for e in KeyBook(svc.db).audit(project)]


@router.get("/signatures", response_model=list[SignatureOut])
def signatures(project: str, svc: Svc, who: Caller, limit: int = 500) -> list[SignatureOut]:
    """Which key signed which RPM (its sha256 before and after signing)."""
    p = project_for(svc, who, project, Action.READ)
    with svc.db.session() as s:
        rows = s.execute(
            select(RpmSignature, Artifact.filename)
            .join(Artifact, Artifact.id == RpmSignature.unsigned_artifact_id)
            .where(RpmSignature.project_id == p.id)
            .order_by(RpmSignature.id.desc())
            .limit(min(limit, 5000))
        ).all()
        return [
            SignatureOut(filename=name, unsigned_sha256=r.unsigned_sha256,
                         signed_sha256=r.signed_sha256, fingerprint=r.fingerprint,
                         key_revoked=r.key_revoked, created_at=r.created_at)
            for r, name in rows
        ]  # fmt: skip


@router.post("/resign", response_model=TaskOut, status_code=202)
async def resign(project: str, body: ResignIn, request: Request, svc: Svc, who: Caller) -> TaskOut:
    """Re-sign with the default key what `from_fingerprint` signed (or everything)."""
    require_user(who)
    await run_in_threadpool(project_for, svc, who, project, Action.MANAGE)
    sub = await service.submit_resign(
        job_context(request, who), project, body.from_fingerprint, body.imported
    )
    return TaskOut(task_id=sub.task_id, workflow_id=sub.workflow_id)


@router.get("/{fpr}", response_class=PlainTextResponse)
def export_key(project: str, fpr: str, svc: Svc, who: Caller) -> PlainTextResponse:
    """The armored public key (`key export`); `default` names the default key."""
    project_for(svc, who, project, Action.READ)
    text = KeyBook(svc.db).export_public(project, None if fpr == "default" else fpr, who.user_id)
    return PlainTextResponse(text, media_type="application/pgp-keys")


@router.post("/{fpr}/revoke", response_model=KeyOut)
def revoke(project: str, fpr: str, body: RevokeIn, svc: Svc, who: Caller) -> KeyOut:
    """Revoke a compromised key: it signs nothing more, the RPMs it signed are marked."""
    require_user(who)
    project_for(svc, who, project, Action.MANAGE)
    book = KeyBook(svc.db)
    book.revoke(project, fpr, body.reason, who.user_id)
    return _out(book.get(project, fpr))


@router.post("/{fpr}/default", response_model=KeyOut)
def make_default(project: str, fpr: str, svc: Svc, who: Caller) -> KeyOut:
    """Rotate to an existing key: it signs from now on; the old one still verifies."""
    require_user(who)
    project_for(svc, who, project, Action.MANAGE)
    k = KeyBook(svc.db).set_default(project, fpr, who.user_id)
    if k.state == "revoked":
        raise Conflict(f"key {k.fingerprint} is revoked")
    return _out(k)
