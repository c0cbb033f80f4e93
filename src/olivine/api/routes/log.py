"""The transparency log: the instance key's public half, signed checkpoints, entries, inclusion
and consistency proofs, and verification bundles of builds' provenance.

The log is one per instance and readable by anybody (that is the point of it); an entry about a
private project shows its leaf hash to everybody and its data only to callers who may read the
project."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import select

from olivine.api.deps import Caller, Svc, check
from olivine.auth.policy import Action, allowed
from olivine.db.models import Project, Provenance
from olivine.errors import NotFound, ValidationFailed
from olivine.signing import bundle, logstore
from olivine.signing.instance import public_instance_key
from olivine.signing.leaves import parse_leaf

router = APIRouter(prefix="/api/v1", tags=["log"])


class InstanceKeyOut(BaseModel):
    algorithm: str
    keyid: str
    public_key_pem: str
    note_key: str  # the signed-note verifier key of checkpoints
    origin: str


class EntryOut(BaseModel):
    index: int
    kind: str
    leaf_hash: str
    data: str | None  # base64 of the exact leaf bytes; None: a private project's entry


class InclusionOut(BaseModel):
    leaf_index: int
    tree_size: int
    hashes: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    hashes: list[str]


@router.get("/log/key", response_model=InstanceKeyOut)
def instance_key(svc: Svc) -> InstanceKeyOut:
    k = public_instance_key(svc.db)
    return InstanceKeyOut(
        algorithm="ed25519",
        keyid=k.keyid,
        public_key_pem=k.pem,
        note_key=k.note_key,
        origin=k.origin,
    )


@router.get("/log/checkpoint", response_class=PlainTextResponse)
def checkpoint(svc: Svc) -> PlainTextResponse:
    return PlainTextResponse(logstore.latest_checkpoint(svc.db).note)


@router.get("/log/checkpoints/{size}", response_class=PlainTextResponse)
def checkpoint_at(size: int, svc: Svc) -> PlainTextResponse:
    return PlainTextResponse(logstore.checkpoint_at(svc.db, size).note)


def _readable(svc: Svc, who: Caller) -> dict[str, bool]:
    with svc.db.session() as s:
        return {
            p.name: allowed(who, Action.READ, p.id, p.public) for p in s.scalars(select(Project))
        }


@router.get("/log/entries", response_model=list[EntryOut])
def entries(
    svc: Svc, who: Caller, start: int = Query(ge=0), end: int = Query(ge=1)
) -> list[EntryOut]:
    readable = _readable(svc, who)
    out = []
    for e in logstore.entries(svc.db, start, end):
        project = getattr(parse_leaf(e.data), "project", None)
        shown = project is None or readable.get(project, False)
        data = base64.b64encode(e.data).decode() if shown else None
        out.append(EntryOut(index=e.index, kind=e.kind, leaf_hash=e.leaf_hash, data=data))
    return out


def _hex(value: str, what: str) -> str:
    v = value.lower()
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise ValidationFailed(f"{what} must be 64 hex digits")
    return v


@router.get("/log/proof/inclusion", response_model=InclusionOut)
def inclusion(svc: Svc, leaf_hash: str, tree_size: int = Query(ge=1)) -> InclusionOut:
    index, proof = logstore.inclusion(svc.db, _hex(leaf_hash, "leaf_hash"), tree_size)
    return InclusionOut(leaf_index=index, tree_size=tree_size, hashes=[p.hex() for p in proof])


@router.get("/log/proof/consistency", response_model=ConsistencyOut)
def consistency(svc: Svc, first: int = Query(ge=0), second: int = Query(ge=0)) -> ConsistencyOut:
    proof = logstore.consistency(svc.db, first, second)
    return ConsistencyOut(first=first, second=second, hashes=[p.hex() for p in proof])


def _bundle_response(svc: Svc, who: Caller, prov: Provenance) -> PlainTextResponse:
    with svc.db.session() as s:
        project = s.get_one(Project, prov.project_id)
        s.expunge(project)
    check(who, Action.READ, project)
    b = bundle.make_bundle(svc.db, svc.store, prov)
    return PlainTextResponse(b.to_json(), media_type="application/json")


@router.get("/provenance", response_class=PlainTextResponse)
def provenance_bundle(
    svc: Svc, who: Caller, rpm_header_sha256: str | None = None, build: int | None = None
) -> PlainTextResponse:
    """The verification bundle (provenance envelope + inclusion proof + checkpoint) of the
    build that made an RPM (by its header's SHA256 digest) or of a build by id."""
    if (rpm_header_sha256 is None) == (build is None):
        raise ValidationFailed("give exactly one of rpm_header_sha256 or build")
    if build is not None:
        prov = bundle.provenance_for_build(svc.db, build)
    else:
        prov = bundle.provenance_for_header(svc.db, _hex(rpm_header_sha256 or "", "digest"))
    return _bundle_response(svc, who, prov)


@router.get("/builds/{build_id}/provenance", response_class=PlainTextResponse)
def build_provenance(build_id: int, svc: Svc, who: Caller) -> PlainTextResponse:
    """The build's DSSE envelope (one line of .intoto.jsonl)."""
    prov = bundle.provenance_for_build(svc.db, build_id)
    with svc.db.session() as s:
        project = s.get_one(Project, prov.project_id)
        s.expunge(project)
    check(who, Action.READ, project)
    body = svc.store.get_bytes(prov.envelope_sha256)
    return PlainTextResponse(body.decode(), media_type="application/jsonl")


class LoggedOut(BaseModel):
    checkpoint: str
    entry: dict[str, object]  # {index, leaf (base64), proof [hex]} against that checkpoint


@router.get("/log/repomd", response_model=LoggedOut)
def logged_repomd(svc: Svc, who: Caller, sha256: str) -> LoggedOut:
    """The log entry of a published repomd.xml (by its sha256), with its inclusion proof."""
    note, item = bundle.logged_repomd(svc.db, _hex(sha256, "sha256"))
    project = getattr(parse_leaf(item.leaf), "project", "")
    if not _readable(svc, who).get(project, False):
        raise NotFound(f"no published repomd.xml with sha256 {sha256} is in the log")
    return LoggedOut(checkpoint=note, entry=item.to_dict())
