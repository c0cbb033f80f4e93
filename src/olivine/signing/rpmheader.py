"""The SHA-256 digest of an RPM's main header (rpm's SHA256HEADER), from the file's bytes.

It names a package across signing (a signature goes into the signature header, the main header
is untouched) and after installation (the rpmdb keeps the main header). Computed from four
big-endian integers at fixed offsets, never by parsing the header's contents, so reading an
attacker-made RPM here evaluates nothing of it; rpm itself checks the same digest (`rpm -K`).
Hand-written because rpm's bindings only report the digest the file claims (`SHA256HEADER`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator

from olivine.errors import IntegrityFailure

_LEAD = 96
_MAGIC = b"\x8e\xad\xe8\x01\x00\x00\x00\x00"
_MAX_INDEX = 0xFFFF  # rpm's own limits (hdrblob: il_max, dl_max)
_MAX_DATA = 256 * 1024 * 1024


class _Reader:
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = bytearray()

    def take(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = next(self._it, None)
            if chunk is None:
                raise IntegrityFailure("not an RPM: the file ends inside its headers")
            self._buf += chunk
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


def _header(r: _Reader, what: str) -> bytes:
    intro = r.take(16)
    if intro[:8] != _MAGIC:
        raise IntegrityFailure(f"not an RPM: no {what} header magic")
    il, dl = struct.unpack(">II", intro[8:])
    if il > _MAX_INDEX or dl > _MAX_DATA:
        raise IntegrityFailure(f"not an RPM: the {what} header is too large")
    return intro + r.take(16 * il + dl)


def header_sha256(chunks: Iterable[bytes]) -> str:
    """SHA256HEADER of the RPM whose bytes `chunks` yields (a file, or an object-store stream)."""
    r = _Reader(chunks)
    if r.take(4 + _LEAD - 4)[:4] != b"\xed\xab\xee\xdb":
        raise IntegrityFailure("not an RPM: no lead")
    sig = _header(r, "signature")
    r.take((8 - len(sig) % 8) % 8)  # the signature header is padded to 8 bytes
    return hashlib.sha256(_header(r, "main")).hexdigest()


def file_chunks(path: str, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk
