"""Repository metadata files made of independently compressed members.

primary/filelists/other.xml.gz are a header member, one member per chunk of packages, and a
footer member, concatenated: a valid gzip (or zstd) stream that dnf, createrepo_c and libsolv
read as one file. Chunk boundaries are content-defined over the sorted package list (a package
ends a chunk when its sha256 says so), so adding or removing one package changes one chunk and
every other chunk keeps its compressed bytes, cached in the object store by digest.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Literal, cast

import zstandard

from olivine.domain.repofilter import PackageRecord

Compression = Literal["gz", "zstd"]
KINDS = ("primary", "filelists", "other")
CHUNK_AVERAGE = 256  # packages per chunk on average (a few hundred KiB of XML per member)
GZIP_LEVEL = 6
ZSTD_LEVEL = 10
SUFFIX = {"gz": ".gz", "zstd": ".zst"}

_NS = {
    "primary": 'metadata xmlns="http://linux.duke.edu/metadata/common" '
    'xmlns:rpm="http://linux.duke.edu/metadata/rpm"',
    "filelists": 'filelists xmlns="http://linux.duke.edu/metadata/filelists"',
    "other": 'otherdata xmlns="http://linux.duke.edu/metadata/other"',
}
_ROOT = {"primary": "metadata", "filelists": "filelists", "other": "otherdata"}


def header(kind: str, count: int) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{_NS[kind]} packages="{count}">\n'.encode()


def footer(kind: str) -> bytes:
    return f"</{_ROOT[kind]}>\n".encode()


def compress(data: bytes, comp: Compression) -> bytes:
    """One self-contained member; deterministic (gzip mtime 0), so content-addressable."""
    if comp == "gz":
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)


def open_compressed(f: BinaryIO) -> BinaryIO:
    """A reader of `f`'s bytes decompressed, in any compression createrepo_c writes (told by its
    magic, not its name); `f` as it is when it is not compressed. `f` must be seekable."""
    magic = f.read(6)
    f.seek(0)
    if magic[:2] == b"\x1f\x8b":
        return cast(BinaryIO, gzip.GzipFile(fileobj=f))
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return cast(BinaryIO, zstandard.ZstdDecompressor().stream_reader(f))
    if magic == b"\xfd7zXZ\x00":
        return cast(BinaryIO, lzma.LZMAFile(f))
    if magic[:3] == b"BZh":
        return cast(BinaryIO, bz2.BZ2File(f))
    return f


def decompress(raw: bytes) -> bytes:
    """The XML of a metadata file in any compression createrepo_c writes."""
    with open_compressed(io.BytesIO(raw)) as f:
        return f.read()


def sort_key(r: PackageRecord) -> tuple[str, str, int, str, str, str]:
    return (r.name, r.arch, r.epoch, r.version, r.release, r.sha256)


def ends_chunk(sha256: str) -> bool:
    return int(sha256[:8], 16) % CHUNK_AVERAGE == 0


def split_chunks(records: Iterable[PackageRecord]) -> list[list[PackageRecord]]:
    """Sorted records cut after every package whose sha256 marks a boundary."""
    chunks: list[list[PackageRecord]] = []
    current: list[PackageRecord] = []
    for r in sorted(records, key=sort_key):
        current.append(r)
        if ends_chunk(r.sha256):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def chunk_digest(members: Sequence[PackageRecord]) -> str:
    h = hashlib.sha256(b"olivine-chunk-v1\n")
    for r in members:
        h.update(r.sha256.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Blob:
    """A stored member: compressed object and the digest/size of its plain text."""

    sha256: str
    size: int
    open_sha256: str
    open_size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "open_sha256": self.open_sha256,
            "open_size": self.open_size,
        }


class ConcatReader:
    """A read()-able stream over byte pieces (for ObjectStore.put_stream of a whole file)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._rest = b""

    def read(self, n: int = -1) -> bytes:
        parts, size = [self._rest], len(self._rest)
        while n < 0 or size < n:
            piece = next(self._pieces, None)
            if piece is None:
                break
            parts.append(piece)
            size += len(piece)
        data = b"".join(parts)
        if 0 <= n < len(data):
            data, self._rest = data[:n], data[n:]
        else:
            self._rest = b""
        return data
