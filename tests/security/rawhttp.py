"""A socket-level HTTP/1.1 client for the attacks that ordinary clients make hard: a body sent
as a stream of any size (with a declared or a chunked length), read back while it is still being
sent, and the server's peak memory (this process hosts the live server) around it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the server took before it answered and stopped reading


def stream(
    url: str,
    method: str,
    path: str,
    total: int,
    headers: Mapping[str, str] | None = None,
    chunked: bool = False,
    declared: int | None = None,
    wrap: tuple[bytes, bytes] = (b"", b""),
) -> Answer:
    """Send `total` bytes of body (a multiple of 1 MiB; chunked, or with Content-Length `declared`
    or the real length), between the two parts of `wrap` (a multipart form's head and tail)."""
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=60)
    head = [f"{method} {path} HTTP/1.1", f"Host: {u.netloc}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    length = declared if declared is not None else total + len(wrap[0]) + len(wrap[1])
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    got: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(sock, got), daemon=True)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    reader.start()
    sent = _send_body(sock, total, chunked, wrap)
    reader.join(60)
    sock.close()
    return _parse(b"".join(got), sent)


def _send_body(sock: socket.socket, total: int, chunked: bool, wrap: tuple[bytes, bytes]) -> int:
    def frame(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked and data else data

    block = frame(b"[" * CHUNK)
    sent = 0
    try:
        sock.sendall(frame(wrap[0]))
        while sent < total:
            sock.sendall(block)
            sent += CHUNK
        sock.sendall(frame(wrap[1]))
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server answered and closed: what a refusal looks like
        pass
    return sent


def _read_all(sock: socket.socket, out: list[bytes]) -> None:
    try:
        while data := sock.recv(65536):
            out.append(data)
    except OSError:
        pass


def _parse(raw: bytes, sent: int) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return Answer(status, headers, body, sent)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, data = out + rest[:size], rest[size + 2 :]
    return out


def reset_peak_rss() -> int:
    """Reset this process's peak RSS (VmHWM) to its current RSS; returns it in bytes."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    return _status_kib("VmHWM") * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")
