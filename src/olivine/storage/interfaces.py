"""The object store contract every backend meets.

Objects are immutable and keyed by the sha256 of their content. Writers stream: `put_stream`
hashes while it writes to a temporary place and only then publishes under the hash, so a failed or
mismatched upload leaves nothing behind and memory stays constant whatever the size.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from olivine.errors import ValidationFailed

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_key(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValidationFailed(f"not a sha256 object key: {sha256!r}")
    return sha256


def file_sha256(path: Path) -> str:
    """The sha256 of a local file (what the store addresses it by), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ObjectInfo:
    sha256: str
    size: int


@dataclass(frozen=True)
class PutResult:
    sha256: str
    size: int
    created: bool  # false when the object was already there


class ObjectStore(ABC):
    """Content-addressed storage. Backends: `fs` (FsStore) and `s3` (S3Store)."""

    @abstractmethod
    def put_stream(self, stream: BinaryIO, expected_sha256: str | None = None) -> PutResult:
        """Store what `stream` yields; with `expected_sha256`, refuse content that differs."""

    def put_file(self, path: Path, expected_sha256: str | None = None) -> PutResult:
        with open(path, "rb") as f:
            return self.put_stream(f, expected_sha256)

    def put_bytes(self, data: bytes) -> PutResult:
        import io

        return self.put_stream(io.BytesIO(data))

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def stat(self, sha256: str) -> ObjectInfo:
        """Size of an object; NotFound when absent."""

    @abstractmethod
    def open(self, sha256: str) -> Iterator[bytes]:
        """Stream an object's bytes in chunks; NotFound when absent."""

    def get_bytes(self, sha256: str) -> bytes:
        return b"".join(self.open(sha256))

    def download(self, sha256: str, dest: Path) -> Path:
        """Copy an object to a local file, verifying its hash on the way."""
        import hashlib

        from olivine.errors import IntegrityFailure

        h = hashlib.sha256()
        tmp = dest.with_name(dest.name + ".part")
        with open(tmp, "wb") as out:
            for chunk in self.open(sha256):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != sha256:
            tmp.unlink()
            raise IntegrityFailure(
                f"object {sha256} is corrupt in the store (read {h.hexdigest()})"
            )
        tmp.replace(dest)
        return dest

    @abstractmethod
    def delete(self, sha256: str) -> None: ...

    @abstractmethod
    def url_for(self, sha256: str, filename: str | None = None, expires: int = 3600) -> str:
        """A URL a client may be redirected to: presigned for s3, a signed /objects link for fs."""
