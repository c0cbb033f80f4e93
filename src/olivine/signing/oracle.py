"""A signing agent of the signer's own for the sandbox's gpg: it answers, on the socket where the
sandbox's gpg looks for its agent, the few requests of gpg-agent's protocol (Assuan) that
signing through the agent's *restricted* socket takes, and signs with OpenSSL (`cryptography`).

Why: rpmsign signs an RPM header through gpg, and gpg through gpg-agent, whose RSA (libgcrypt)
costs about 33-36 ms per RSA 4096 signature here against 6-8 ms in OpenSSL; that was the largest
single step of a signed +1 after the sandbox itself. No library serves the agent side of this
protocol (libassuan is C, with no Python binding in Debian or on PyPI, and gpg-agent's
cryptography cannot be swapped), so the handful of lines is written here, with what a
restricted gpg-agent does as the model (captured from gpg 2.2.40 talking to its extra socket):

    RESET / NOP / BYE               OK
    GETINFO version | restricted    D <version> OK  |  OK (this agent is restricted)
    OPTION agent-awareness=...      OK (every other OPTION: Forbidden, as restricted)
    HAVEKEY <grip>... / SIGKEY <grip>   OK for this key's keygrip, else "No secret key"
    SETKEYDESC ...                  OK (no pinentry: the key has no passphrase)
    SETHASH <algo> <hex>            OK for SHA-2 digests of the right length
    PKSIGN                          D (7:sig-val(3:rsa(1:s<n>:<signature>))) OK
    anything else (KEYINFO, EXPORT_KEY, IMPORT_KEY, READKEY, ...)   ERR Forbidden

So what the sandbox gets is what the restricted socket gave it: signatures by this one key for
the length of the job, never key material (nothing here can send any), and at most `budget`
of them. Every signature is verified with the public key before it is answered (RsaSigner).
The sandbox's gpg builds the OpenPGP packet, rpmsign puts it in the header, and `rpm -K`
checks every file after, as with gpg-agent. Lines longer than Assuan's 1,000 bytes, or a client
silent for a minute, end the connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from olivine.signing.openpgp import NotSimpleRsa, RsaSigner

_LINE = 1000  # Assuan's longest line
CONNECTIONS = 8  # served at once: more are closed (gpg uses one; a flood costs the signer nothing)
_SOURCE = 4 << 24  # GPG_ERR_SOURCE_GPGAGENT
FORBIDDEN = f"ERR {_SOURCE | 251} Forbidden <GPG Agent>"
NO_SECKEY = f"ERR {_SOURCE | 17} No secret key <GPG Agent>"
BAD_DIGEST = f"ERR {_SOURCE | 5} Invalid digest algorithm <GPG Agent>"
NO_DATA = f"ERR {_SOURCE | 58} No data <GPG Agent>"
BAD_SIGNATURE = f"ERR {_SOURCE | 8} Bad signature <GPG Agent>"
# libgcrypt's digest ids as gpg sends them; SHA-1 is not signed
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "8": hashes.SHA256,
    "9": hashes.SHA384,
    "10": hashes.SHA512,
    "11": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha224": hashes.SHA224,
}
_version: str | None = None


def agent_version() -> str:
    """The installed gpg-agent's version (what gpg compares its own with)."""
    global _version
    if _version is None:
        out = subprocess.run(["gpg-agent", "--version"], capture_output=True, text=True).stdout
        first = out.splitlines()[0] if out else ""
        _version = first.rsplit(" ", 1)[-1] if first else "2.2.40"
    return _version


def keygrip(signer: RsaSigner) -> str:
    """libgcrypt's keygrip of an RSA key: SHA-1 of the modulus as an unsigned MPI in standard
    format (a leading zero byte when the top bit is set)."""
    n = signer.key.public_key().public_numbers().n
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return hashlib.sha1(raw).hexdigest().upper()


def _escape(data: bytes) -> bytes:
    return data.replace(b"%", b"%25").replace(b"\r", b"%0D").replace(b"\n", b"%0A")


def data_lines(payload: bytes) -> list[bytes]:
    """`D` lines carrying `payload`, each within Assuan's line length, no escape cut."""
    out, line = [], b""
    for i in range(len(payload)):
        piece = _escape(payload[i : i + 1])
        if len(line) + len(piece) > _LINE - 3:
            out.append(b"D " + line + b"\n")
            line = b""
        line += piece
    if line:
        out.append(b"D " + line + b"\n")
    return out


@dataclass
class _State:
    key: bool = False
    digest: tuple[type[hashes.HashAlgorithm], bytes] | None = None


class SigningOracle:
    """Serves `path` (a socket, made here) for the length of the `with` block."""

    def __init__(self, signer: RsaSigner, path: Path, budget: int) -> None:
        self.signer, self.path, self.budget = signer, path, budget
        self.grip = keygrip(signer)
        self.signed = 0
        self._open = threading.BoundedSemaphore(CONNECTIONS)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None

    def __enter__(self) -> SigningOracle:
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(str(self.path))
        os.chmod(self.path, 0o700)
        srv.listen(16)
        srv.settimeout(5)
        self._server = srv
        t = threading.Thread(target=self._accept, name="signing-oracle", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as wake:
            wake.connect(str(self.path))  # ends the wait in accept() at once
        for t in list(self._threads):
            t.join(timeout=5)
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            if not self._open.acquire(blocking=False):
                conn.close()  # as many connections as the sandbox may hold are open already
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        finally:
            self._open.release()

    def _converse(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(60)
            conn.sendall(b"OK Pleased to meet you\n")
            state, buf = _State(), b""
            while not self._stop.is_set():
                line, buf = _read_line(conn, buf)
                if line is None:
                    return
                answer, done = self.answer(line.decode("utf-8", "replace").rstrip("\r"), state)
                conn.sendall(answer)
                if done:
                    return

    def answer(self, line: str, state: _State) -> tuple[bytes, bool]:
        """The reply to one request line, and whether the connection ends."""
        cmd, _, rest = line.partition(" ")
        cmd, rest = cmd.upper(), rest.strip()
        if cmd == "BYE":
            return b"OK closing connection\n", True
        if cmd in ("RESET", "NOP", "SETKEYDESC"):
            if cmd == "RESET":
                state.key, state.digest = False, None
            return b"OK\n", False
        if cmd == "GETINFO":
            if rest == "version":
                return b"D " + agent_version().encode() + b"\nOK\n", False
            return (b"OK\n" if rest == "restricted" else FORBIDDEN.encode() + b"\n"), False
        if cmd == "OPTION":
            return (b"OK\n" if rest.startswith("agent-awareness=") else _err(FORBIDDEN)), False
        if cmd == "HAVEKEY":
            return (b"OK\n" if self.grip in rest.upper().split() else _err(NO_SECKEY)), False
        if cmd == "SIGKEY":
            state.key = rest.upper() == self.grip
            return (b"OK\n" if state.key else _err(NO_SECKEY)), False
        if cmd == "SETHASH":
            return self._sethash(rest, state), False
        if cmd == "PKSIGN":
            return self._pksign(state), False
        return _err(FORBIDDEN), False

    def _sethash(self, rest: str, state: _State) -> bytes:
        words = rest.split()
        if len(words) != 2:
            return _err(BAD_DIGEST)
        algo = _DIGESTS.get(words[0].removeprefix("--hash=").lower())
        try:
            digest = bytes.fromhex(words[1])
        except ValueError:
            return _err(BAD_DIGEST)
        if algo is None or len(digest) != algo.digest_size:
            return _err(BAD_DIGEST)
        state.digest = (algo, digest)
        return b"OK\n"

    def _pksign(self, state: _State) -> bytes:
        if not state.key:
            return _err(NO_SECKEY)
        if state.digest is None:
            return _err(NO_DATA)
        with self._lock:
            if self.signed >= self.budget:
                return _err(FORBIDDEN)
            self.signed += 1
        algo, digest = state.digest
        try:
            sig = self.signer.sign_digest(digest, algo()).lstrip(b"\0") or b"\0"
        except NotSimpleRsa:  # a signature that does not verify is never answered
            return _err(BAD_SIGNATURE)
        sexp = b"(7:sig-val(3:rsa(1:s%d:%s)))" % (len(sig), sig)
        return b"".join(data_lines(sexp)) + b"OK\n"


def _read_line(conn: socket.socket, buf: bytes) -> tuple[bytes | None, bytes]:
    """The next request line and what follows it; None at the end of the connection or for a
    line longer than Assuan allows."""
    while b"\n" not in buf:
        if len(buf) > _LINE:
            return None, b""
        more = conn.recv(4096)
        if not more:
            return None, b""
        buf += more
    line, rest = buf.split(b"\n", 1)
    return (line if len(line) <= _LINE else None), rest


def _err(line: str) -> bytes:
    return line.encode() + b"\n"


@contextlib.contextmanager
def serving(signer: RsaSigner, path: Path, budget: int) -> Iterator[SigningOracle]:
    with SigningOracle(signer, path, budget) as oracle:
        yield oracle
