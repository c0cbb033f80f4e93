"""Local filesystem backend: `<root>/<aa>/<bb>/<sha256>`, written via a temp file and rename."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from olivine.errors import IntegrityFailure, NotFound
from olivine.storage import links
from olivine.storage.interfaces import CHUNK, ObjectInfo, ObjectStore, PutResult, check_key


class FsStore(ObjectStore):
    def __init__(self, root: Path, base_url: str, link_key: bytes) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self._key = link_key
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_stream(self, stream: BinaryIO, expected_sha256: str | None = None) -> PutResult:
        h = hashlib.sha256()
        size = 0
        fd, tmpname = tempfile.mkstemp(dir=self.root / "tmp")
        tmp = Path(tmpname)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            digest = h.hexdigest()
            if expected_sha256 and digest != expected_sha256:
                raise IntegrityFailure(
                    f"content hash mismatch: expected sha256 {expected_sha256}, got {digest}"
                )
            dest = self.path(digest)
            if dest.exists():
                return PutResult(digest, size, created=False)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            tmp.replace(dest)
            return PutResult(digest, size, created=True)
        finally:
            tmp.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def stat(self, sha256: str) -> ObjectInfo:
        try:
            return ObjectInfo(sha256, self.path(sha256).stat().st_size)
        except FileNotFoundError:
            raise NotFound(f"object {sha256} not found in the store") from None

    def open(self, sha256: str) -> Iterator[bytes]:
        path = self.path(sha256)
        if not path.exists():
            raise NotFound(f"object {sha256} not found in the store")
        return self._read(path)

    @staticmethod
    def _read(path: Path) -> Iterator[bytes]:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def url_for(self, sha256: str, filename: str | None = None, expires: int = 3600) -> str:
        check_key(sha256)
        return f"{self.base_url}/objects/{sha256}?{links.signed_query(self._key, sha256, expires)}"
