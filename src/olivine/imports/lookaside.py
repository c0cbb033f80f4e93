"""Lookaside blobs: fetched from the upstream's lookaside URL (or found in the object store),
verified while streaming, stored once under their sha256.

The declared hash type follows from the digest's length (md5, sha1, sha256, sha512). Digests of
other types are remembered against the sha256 (an AliasBook), so a blob already stored is never
fetched twice.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

from olivine.errors import IntegrityFailure, ValidationFailed
from olivine.fetch.http import Missing, open_url
from olivine.fetch.policy import FetchPolicy
from olivine.imports.archive import safe_member_path
from olivine.imports.errors import HashMismatch, LookasideMissing
from olivine.imports.urls import ChunkReader
from olivine.storage.interfaces import ObjectStore

HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX = frozenset(string.hexdigits.lower())


def hashtype_of(digest: str) -> str:
    d = digest.lower()
    if not d or not set(d) <= _HEX or len(d) not in HASH_TYPES:
        raise ValidationFailed(f"not a lookaside hash (md5, sha1, sha256 or sha512): {digest!r}")
    return HASH_TYPES[len(d)]


@dataclass(frozen=True)
class LookasideRef:
    """One line of a lookaside list: the tree path the blob belongs at and its declared hash."""

    path: str  # e.g. SOURCES/dmidecode-3.5.tar.xz
    digest: str
    hashtype: str

    @classmethod
    def of(cls, path: str, digest: str, hashtype: str | None = None) -> LookasideRef:
        kind = hashtype_of(digest)
        try:
            plain = path == safe_member_path("lookaside list", path) and bool(path)
        except IntegrityFailure:
            plain = False
        if not plain:
            raise ValidationFailed(f"lookaside path {path!r} is not a plain relative path")
        if hashtype and hashtype.lower() != kind:
            raise ValidationFailed(f"{path}: {hashtype} declared but {digest} is a {kind} hash")
        return cls(path, digest.lower(), kind)

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def describe(self) -> str:
        return f"{self.path} ({self.hashtype} {self.digest})"


@dataclass(frozen=True)
class Blob:
    """A blob in the object store and the tree path it belongs at."""

    path: str
    sha256: str
    size: int


class AliasBook(Protocol):
    """Remembers which sha256 a digest of another type (md5, sha1, sha512) stands for."""

    def get(self, hashtype: str, digest: str) -> str | None: ...

    def add(self, hashtype: str, digest: str, sha256: str) -> None: ...


class MemoryAliases:
    def __init__(self) -> None:
        self._map: dict[tuple[str, str], str] = {}

    def get(self, hashtype: str, digest: str) -> str | None:
        return self._map.get((hashtype, digest))

    def add(self, hashtype: str, digest: str, sha256: str) -> None:
        self._map[(hashtype, digest)] = sha256


def fill_template(template: str, *, name: str, branch: str | None, ref: LookasideRef) -> str:
    return template.format(
        name=name,
        branch=branch or "",
        hash=ref.digest,
        hashtype=ref.hashtype,
        filename=ref.filename,
    )


class Lookaside:
    def __init__(
        self,
        store: ObjectStore,
        template: str | None,
        aliases: AliasBook | None = None,
        log: Callable[[str], None] | None = None,
        policy: FetchPolicy | None = None,
    ) -> None:
        self.store = store
        self.template = template
        self.aliases = aliases or MemoryAliases()
        self.log = log or (lambda _m: None)
        self.policy = policy or FetchPolicy()

    def known(self, ref: LookasideRef) -> str | None:
        """The sha256 of a blob already in the store, if any."""
        sha = ref.digest if ref.hashtype == "sha256" else self.aliases.get(ref.hashtype, ref.digest)
        return sha if sha and self.store.exists(sha) else None

    def fetch(self, ref: LookasideRef, *, name: str, branch: str | None) -> Blob:
        sha = self.known(ref)
        if sha:
            return Blob(ref.path, sha, self.store.stat(sha).size)
        if not self.template:
            raise LookasideMissing(
                f"lookaside file {ref.describe()} is not in the object store and the upstream "
                "names no lookaside URL"
            )
        url = fill_template(self.template, name=name, branch=branch, ref=ref)
        self.log(f"lookaside: fetching {ref.filename} from {url}")
        try:
            with open_url(self.policy, url, "lookaside") as chunks:
                return self._store(ref, chunks)
        except Missing as e:
            raise LookasideMissing(
                f"lookaside file {ref.describe()} not found at {url} ({e})"
            ) from None

    def _store(self, ref: LookasideRef, chunks: Iterator[bytes]) -> Blob:
        declared = hashlib.new(ref.hashtype) if ref.hashtype != "sha256" else None

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                if declared is not None:
                    declared.update(chunk)
                yield chunk

        expected = ref.digest if declared is None else None
        # The message names the expected digest only: the computed one would tell the caller
        # the hash of whatever the URL led to (a file they may not read).
        mismatch = f"lookaside file {ref.describe()}: the content fetched does not match"
        try:
            reader = cast(BinaryIO, ChunkReader(hashed()))
            put = self.store.put_stream(reader, expected_sha256=expected)
        except IntegrityFailure:
            raise HashMismatch(mismatch) from None
        if declared is not None and declared.hexdigest() != ref.digest:
            if put.created:
                self.store.delete(put.sha256)
            raise HashMismatch(mismatch)
        if declared is not None:
            self.aliases.add(ref.hashtype, ref.digest, put.sha256)
        return Blob(ref.path, put.sha256, put.size)
