"""A file-like reader over a stream of chunks (downloads themselves: olivine.fetch.http)."""

from __future__ import annotations

from collections.abc import Iterator


class ChunkReader:
    """A file-like `read(n)` over an iterator of chunks (what ObjectStore.put_stream wants)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf += nxt
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out
