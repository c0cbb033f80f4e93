"""A build's output as lines, in bounded memory: read in chunks, cut into lines of at most
`line_limit` bytes (the rest of a longer line is dropped and counted), each handed to the log;
only the last lines are kept (for the failure reason). A build printing a gigabyte without a
newline costs the worker one line's worth of memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

LogFn = Callable[[str], None]
_KEEP_LINES = 5000  # lines kept for the failure reason (the log itself gets every line)
_KEPT_LINE_BYTES = 4096


class LineCutter:
    """Cuts the byte stream into lines of at most `line_limit` bytes and hands each to the log;
    keeps the last lines (for the failure reason) and counts bytes. Memory stays bounded
    whatever the build prints: a line longer than the cap is cut and the rest of it dropped."""

    def __init__(self, log: LogFn, limit: int, line_limit: int) -> None:
        self.log, self.limit, self.line_limit = log, limit, line_limit
        self.buf = bytearray()
        self.cut = 0  # bytes dropped from the current line
        self.tail: deque[str] = deque(maxlen=_KEEP_LINES)
        self.count = 0
        self.size = 0

    def feed(self, data: bytes) -> bool:
        """False once the log size limit is exceeded."""
        self.size += len(data)
        start = 0
        while (nl := data.find(b"\n", start)) >= 0:
            self._add(data, start, nl)
            self._emit()
            start = nl + 1
        self._add(data, start, len(data))
        return self.size <= self.limit

    def _add(self, data: bytes, start: int, end: int) -> None:
        room = max(self.line_limit - len(self.buf), 0)
        take = min(room, end - start)
        self.buf += data[start : start + take]
        self.cut += end - start - take

    def close(self) -> None:
        if self.buf or self.cut:
            self._emit()

    def _emit(self) -> None:
        line = self.buf.decode("utf-8", errors="replace").rstrip("\r")
        if self.cut:
            line += f" [line cut: {self.cut} more bytes]"
        self.buf.clear()
        self.cut = 0
        self.count += 1
        self.tail.append(line[:_KEPT_LINE_BYTES])
        self.log(line)
