"""A build's provenance as the build page shows it, checked server-side with the code
`olivine verify` runs (olivine.signing.verify): the DSSE envelope against the instance key, the
statement's types, and its log entry's inclusion in the latest signed checkpoint. What the page
lists is read from the verified statement (and the signed-rpm log entries included under the
same checkpoint), never from anything that was not checked; when a check fails the page says
which link broke."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from olivine.db.base import Database
from olivine.errors import OlivineError
from olivine.signing.bundle import Bundle, make_bundle, provenance_for_build
from olivine.signing.checkpoint import Checkpoint
from olivine.signing.instance import public_instance_key
from olivine.signing.leaves import SignedRpmLeaf, parse_leaf
from olivine.signing.provenance import HEADER_DIGEST
from olivine.signing.verify import (
    InstanceTrust,
    check_log,
    included,
    open_envelope,
    statement_of,
)
from olivine.storage.interfaces import ObjectStore


@dataclass(frozen=True)
class Source:
    url: str
    commit: str
    tag: str = ""


@dataclass(frozen=True)
class Output:
    filename: str
    sha256: str  # as built, before signing
    signed: tuple[str, ...] = ()  # sha256 of each signed copy


@dataclass(frozen=True)
class ProvenanceView:
    verified: bool
    problem: str = ""  # the broken link, when not verified
    keyid: str = ""
    log_index: int = -1
    checkpoint_size: int = 0
    upstream: Source | None = None
    patches: Source | None = None
    forge: Source | None = None
    build_root: int = 0  # entries: project RPMs and host packages
    outputs: tuple[Output, ...] = field(default=())


def build_provenance(db: Database, store: ObjectStore, build_id: int) -> ProvenanceView | None:
    """None when the build has no provenance; else what was verified, or why it was not."""
    try:
        prov = provenance_for_build(db, build_id)
    except OlivineError:
        return None
    try:
        bundle = make_bundle(db, store, prov)
        key = public_instance_key(db)
        trust = InstanceTrust(key.origin, key.public_key)
        payload = open_envelope(bundle.envelope, trust)
        st = statement_of(payload)
        cp = check_log(bundle, payload, trust)
        signed = _signed_copies(bundle, cp)
    except OlivineError as e:
        return ProvenanceView(False, e.message)
    except (KeyError, ValueError, TypeError) as e:  # an envelope that is not one
        return ProvenanceView(False, f"provenance envelope: unreadable ({type(e).__name__})")
    return _view(st, key.keyid, bundle.provenance.index, cp.size, signed)


def _signed_copies(b: Bundle, cp: Checkpoint) -> dict[str, tuple[str, list[str]]]:
    """header sha256 -> (unsigned sha256, signed sha256s), from the signed-rpm log entries
    included under the checkpoint."""
    out: dict[str, tuple[str, list[str]]] = {}
    for item in b.signed_rpms:
        included(item, cp, f"signed-rpm entry {item.index}")
        leaf = parse_leaf(item.leaf)
        if isinstance(leaf, SignedRpmLeaf):
            out.setdefault(leaf.header_sha256, (leaf.unsigned_sha256, []))[1].append(
                leaf.signed_sha256
            )
    return out


def _source(d: dict[str, Any] | None) -> Source | None:
    if not d:
        return None
    return Source(str(d.get("url", "")), str(d.get("commit") or ""), str(d.get("tag") or ""))


def _outputs(st: dict[str, Any], signed: dict[str, tuple[str, list[str]]]) -> tuple[Output, ...]:
    """One row per RPM (its header digest): the file as built and its signed copies."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for s in st.get("subject", []):
        digest = s.get("digest", {})
        groups.setdefault(digest.get(HEADER_DIGEST, ""), []).append(
            (s.get("name", ""), digest.get("sha256", ""))
        )
    out = []
    for header, subjects in groups.items():
        name, first = subjects[0]  # the file as built is listed before its signed copies
        before, copies = signed.get(header, (first, []))
        shas = [sha for _, sha in subjects] + copies
        after = tuple(dict.fromkeys(sha for sha in shas if sha != before))
        out.append(Output(name, before, after))
    return tuple(sorted(out, key=lambda o: o.filename))


def _view(
    st: dict[str, Any],
    keyid: str,
    index: int,
    size: int,
    signed: dict[str, tuple[str, list[str]]],
) -> ProvenanceView:
    bd = st["predicate"]["buildDefinition"]
    ext = bd.get("externalParameters", {})
    roots = [
        d
        for d in bd.get("resolvedDependencies", [])
        if d.get("annotations", {}).get("kind") in ("rpm", "host")
    ]
    return ProvenanceView(
        verified=True,
        keyid=keyid,
        log_index=index,
        checkpoint_size=size,
        upstream=_source(ext.get("upstream")),
        patches=_source(ext.get("patches")),
        forge=_source(ext.get("forge")),
        build_root=len(roots),
        outputs=_outputs(st, signed),
    )
