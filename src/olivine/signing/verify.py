"""`olivine verify`'s checks, link by link, from an RPM's facts back to its upstream commit.

Trust roots come from the caller only: the project keys (rpmcheck) and the instance key
(`InstanceTrust`, the signed-note verifier key of the log's checkpoints). Evidence (the bundle,
consistency proofs) may come from anywhere, the server being checked included, because every
piece of it is checked against those roots:

1. the DSSE envelope has payloadType application/vnd.in-toto+json and is signed by the
   instance key; the statement parsed is exactly the payload bytes that signature covers;
2. it is an in-toto Statement v1 with the SLSA v1 provenance predicate, and a subject names
   this RPM by its header digest (rpmheader-sha256);
3. the log's provenance entry records that statement's sha256, is included under a checkpoint,
   and the checkpoint is signed by the instance key;
4. that checkpoint is consistent with the last one remembered (the log was only appended to);
5. no revocation entry in the log names the key that signed the RPM.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError

from olivine.errors import IntegrityFailure
from olivine.signing import tlog
from olivine.signing.bundle import Bundle, LoggedLeaf
from olivine.signing.checkpoint import Checkpoint, open_note, parse_verifier_key
from olivine.signing.instance import sslib_key
from olivine.signing.leaves import ProvenanceLeaf, RevocationLeaf, SignedRpmLeaf, parse_leaf
from olivine.signing.provenance import HEADER_DIGEST, PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE
from olivine.signing.rpmcheck import BrokenLink, RpmFacts

ConsistencyFetch = Callable[[int, int], list[bytes]] | None  # None: offline


@dataclass(frozen=True)
class InstanceTrust:
    name: str  # the log origin, which names the key in checkpoints
    public_key: bytes

    @classmethod
    def from_text(cls, text: str) -> InstanceTrust:
        try:
            return cls(*parse_verifier_key(text))
        except IntegrityFailure as e:
            raise BrokenLink("instance key", e.message) from None


@dataclass(frozen=True)
class Remembered:
    size: int
    root: bytes


@dataclass(frozen=True)
class Chain:
    nevra: str
    upstream: str
    patches: str | None
    forge: str
    build: str
    build_root: tuple[str, ...]
    checkpoint: Checkpoint
    leaf_index: int
    consistency: str  # what was checked against the remembered checkpoint
    file: str  # how the file's own sha256 is accounted for


def open_envelope(envelope: dict[str, Any], trust: InstanceTrust) -> bytes:
    """The payload bytes, once their DSSE signature by the instance key has verified."""
    try:
        env = Envelope.from_dict(envelope)
    except (KeyError, TypeError, ValueError) as e:
        raise BrokenLink("provenance envelope", f"not a DSSE envelope ({e})") from None
    if env.payload_type != PAYLOAD_TYPE:
        raise BrokenLink("payload type", f"{env.payload_type!r}, not {PAYLOAD_TYPE}")
    key = sslib_key(trust.public_key)
    try:
        env.verify([key], 1)
    except VerificationError:
        raise BrokenLink(
            "provenance signature", f"not signed by the instance key {key.keyid[:16]}"
        ) from None
    return env.payload


def read_statement(payload: bytes, rpm: RpmFacts) -> dict[str, Any]:
    st = statement_of(payload)
    names = [s.get("digest", {}).get(HEADER_DIGEST) for s in st.get("subject", [])]
    if rpm.header_sha256 not in names:
        raise BrokenLink(
            "subject", f"the provenance does not name {rpm.nevra} (header {rpm.header_sha256})"
        )
    return st


def statement_of(payload: bytes) -> dict[str, Any]:
    """The verified payload parsed, once it is an in-toto Statement with the SLSA predicate."""
    try:
        st = json.loads(payload)
        assert isinstance(st, dict)
    except (ValueError, AssertionError):
        raise BrokenLink("provenance statement", "the signed payload is not JSON") from None
    if st.get("_type") != STATEMENT_TYPE:
        raise BrokenLink("statement type", f"{st.get('_type')!r}, not {STATEMENT_TYPE}")
    if st.get("predicateType") != PREDICATE_TYPE:
        raise BrokenLink("predicate type", f"{st.get('predicateType')!r}, not {PREDICATE_TYPE}")
    return st


def included(item: LoggedLeaf, cp: Checkpoint, what: str) -> None:
    try:
        tlog.verify_inclusion(
            tlog.leaf_hash(item.leaf), item.index, cp.size, item.proof, cp.root_hash
        )
    except tlog.ProofError as e:
        raise BrokenLink("log inclusion", f"{what}: {e}") from None


def check_log_entry(item: LoggedLeaf, note: str, trust: InstanceTrust) -> Checkpoint:
    """The checkpoint, signed by the instance key, that includes this entry."""
    try:
        cp = open_note(note, trust.name, trust.public_key)
    except IntegrityFailure as e:
        raise BrokenLink("checkpoint signature", e.message) from None
    included(item, cp, f"entry {item.index}")
    return cp


def check_log(b: Bundle, payload: bytes, trust: InstanceTrust) -> Checkpoint:
    try:
        cp = open_note(b.checkpoint, trust.name, trust.public_key)
    except IntegrityFailure as e:
        raise BrokenLink("checkpoint signature", e.message) from None
    leaf = parse_leaf(b.provenance.leaf)
    if not isinstance(leaf, ProvenanceLeaf):
        raise BrokenLink("log entry", f"entry {b.provenance.index} is a {leaf.kind} entry")
    if leaf.statement_sha256 != hashlib.sha256(payload).hexdigest():
        raise BrokenLink("log entry", f"entry {b.provenance.index} records another statement")
    included(b.provenance, cp, "the provenance entry")
    return cp


def check_consistency(rem: Remembered | None, cp: Checkpoint, fetch: ConsistencyFetch) -> str:
    if rem is None:
        return f"first checkpoint seen (size {cp.size}): remembered"
    if rem.size == cp.size:
        if rem.root != cp.root_hash:
            raise BrokenLink("log consistency", f"two different roots for size {cp.size}")
        return f"same checkpoint as remembered (size {cp.size})"
    if fetch is None:
        return f"not checked against remembered size {rem.size} (offline)"
    old, new = (rem, Remembered(cp.size, cp.root_hash))
    if cp.size < rem.size:
        old, new = new, rem
    try:
        tlog.verify_consistency(old.size, new.size, fetch(old.size, new.size), old.root, new.root)
    except tlog.ProofError as e:
        raise BrokenLink("log consistency", str(e)) from None
    return f"consistent with remembered size {rem.size}"


def check_revocations(b: Bundle, cp: Checkpoint, keyid: str | None) -> None:
    for item in b.revocations:
        included(item, cp, f"revocation entry {item.index}")
        leaf = parse_leaf(item.leaf)
        if not isinstance(leaf, RevocationLeaf):
            raise BrokenLink("log entry", f"entry {item.index} is not a revocation")
        if keyid and leaf.key_fingerprint.lower().endswith(keyid.lower()):
            raise BrokenLink(
                "key revocation",
                f"the key {leaf.key_fingerprint} that signed this RPM was revoked at "
                f"{leaf.revoked_at} ({leaf.reason})",
            )


def check_file_digest(b: Bundle, cp: Checkpoint, rpm: RpmFacts, st: dict[str, Any]) -> str:
    """The file itself: named by the statement, or a signed copy the log records (a signature
    added after the statement was made). Neither is needed for the proof (the header digest
    covers the payload digest, and rpm checked the signature), but each is shown."""
    if rpm.file_sha256 is None:
        return "installed package: matched by its header digest"
    if rpm.file_sha256 in {s.get("digest", {}).get("sha256") for s in st.get("subject", [])}:
        return f"file sha256 {rpm.file_sha256[:16]} is a subject of the provenance"
    for item in b.signed_rpms:
        included(item, cp, f"signed-rpm entry {item.index}")
        leaf = parse_leaf(item.leaf)
        if isinstance(leaf, SignedRpmLeaf) and leaf.signed_sha256 == rpm.file_sha256:
            if leaf.header_sha256 != rpm.header_sha256:
                raise BrokenLink("signed copy", f"log entry {item.index} names another header")
            return f"signed copy by key {leaf.key_fingerprint} (log entry {item.index})"
    return "file sha256 not in the log: matched by its header digest"


def _chain(
    st: dict[str, Any], rpm: RpmFacts, cp: Checkpoint, index: int, cons: str, file: str
) -> Chain:
    bd = st["predicate"]["buildDefinition"]
    ext = bd["externalParameters"]
    up, pat, forge = ext["upstream"], ext.get("patches"), ext["forge"]
    roots = tuple(
        d["name"]
        + (f" {d['digest']['sha256'][:12]}" if d.get("digest", {}).get("sha256") else "")
        + (f" {d['annotations']['version']}" if "version" in d.get("annotations", {}) else "")
        for d in bd.get("resolvedDependencies", [])
        if d.get("annotations", {}).get("kind") in ("rpm", "host")
    )
    return Chain(
        nevra=rpm.nevra,
        upstream=f"{up['url']}@{up.get('commit')}",
        patches=f"{pat['url']}@{pat.get('commit')}" if pat else None,
        forge=f"{forge['url']}@{forge['commit']} (tag {forge['tag']})",
        build=st["predicate"]["runDetails"]["metadata"]["invocationId"],
        build_root=roots,
        checkpoint=cp,
        leaf_index=index,
        consistency=cons,
        file=file,
    )


def verify_bundle(
    b: Bundle,
    rpm: RpmFacts,
    trust: InstanceTrust,
    remembered: Remembered | None = None,
    fetch: ConsistencyFetch = None,
) -> Chain:
    payload = open_envelope(b.envelope, trust)
    st = read_statement(payload, rpm)
    cp = check_log(b, payload, trust)
    cons = check_consistency(remembered, cp, fetch)
    check_revocations(b, cp, rpm.signer_keyid)
    file = check_file_digest(b, cp, rpm, st)
    return _chain(st, rpm, cp, b.provenance.index, cons, file)
