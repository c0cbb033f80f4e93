"""Output cut into bounded lines: a flood without newlines never grows the worker's buffer."""

from __future__ import annotations

from olivine.builds.loglines import LineCutter


def test_long_lines_are_cut_and_counted() -> None:
    got: list[str] = []
    lines = LineCutter(got.append, limit=1 << 30, line_limit=8)
    for _ in range(1000):  # 1000 chunks of 1 KiB, no newline
        assert lines.feed(b"x" * 1024)
        assert len(lines.buf) <= 8
    lines.feed(b"\nshort\r\nend")
    lines.close()
    assert got == ["x" * 8 + f" [line cut: {1024 * 1000 - 8} more bytes]", "short", "end"]
    assert lines.count == 3 and list(lines.tail) == got


def test_the_size_limit_and_the_kept_tail() -> None:
    got: list[str] = []
    lines = LineCutter(got.append, limit=100_000, line_limit=64)
    for i in range(20_000):
        ok = lines.feed(f"{i}\n".encode())
    assert not ok  # over 100,000 bytes
    assert lines.count == 20_000 and len(lines.tail) == 5000
    assert lines.tail[0] == "15000" and got[0] == "0"
