"""The signer's own signing agent for the sandbox (signing.oracle): real gpg signs through it
(gpgv verifies), and it answers nothing but this key's signatures, within its budget."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from olivine.signing import keys
from olivine.signing.agents import SOCKET
from olivine.signing.openpgp import RsaSigner
from olivine.signing.oracle import (
    BAD_DIGEST,
    CONNECTIONS,
    FORBIDDEN,
    NO_SECKEY,
    SigningOracle,
    _State,
)
from tests.unit.signing.test_detached import _gpgv


@pytest.fixture
def signer(rsa_key: keys.KeyMaterial) -> RsaSigner:
    return RsaSigner.from_secret(rsa_key.secret, rsa_key.info.fingerprint)


def _public_home(tmp_path: Path, key: keys.KeyMaterial) -> Path:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-autostart", "--import"],
        input=key.public_key.encode(),
        capture_output=True,
        check=True,
    )
    return home


def _gpg_in_home(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """gpg as the sandbox runs it: its agent socket in its home (no /run/user/<uid>)."""
    cmd = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/run", "--", "gpg", "--homedir",
           str(home), "--batch", "--no-autostart", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True)


def test_gpg_signs_through_it_and_gpgv_verifies(
    rsa_key: keys.KeyMaterial, signer: RsaSigner, tmp_path: Path
) -> None:
    home = _public_home(tmp_path, rsa_key)
    (tmp_path / "data").write_bytes(b"an rpm header, say")
    with SigningOracle(signer, home / SOCKET, budget=1) as oracle:
        out = _gpg_in_home(home, "-u", rsa_key.info.fingerprint, "--armor", "-sbo",
                           str(tmp_path / "data.asc"), str(tmp_path / "data"))  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert oracle.signed == 1
        again = _gpg_in_home(home, "-u", rsa_key.info.fingerprint, "-sbo",
                             str(tmp_path / "x.sig"), str(tmp_path / "data"))  # fmt: skip
        assert again.returncode != 0  # its budget was one signature
        secret = _gpg_in_home(home, "--armor", "--export-secret-keys", rsa_key.info.fingerprint)
        assert b"PRIVATE KEY" not in secret.stdout
    assert not (home / SOCKET).exists()
    asc = (tmp_path / "data.asc").read_text()
    assert "Good signature" in _gpgv(tmp_path, rsa_key.public_key, b"an rpm header, say", asc)


def test_it_answers_only_signing_by_this_key(signer: RsaSigner, tmp_path: Path) -> None:
    oracle = SigningOracle(signer, tmp_path / "S", budget=1)
    st = _State()
    refusals = ["KEYINFO " + oracle.grip, "EXPORT_KEY " + oracle.grip, "READKEY x"]
    refusals += ["IMPORT_KEY", "GENKEY", "OPTION ttytype=xterm", "GET_PASSPHRASE x"]
    for refused in refusals:
        assert oracle.answer(refused, st)[0].decode().startswith(FORBIDDEN)
    assert oracle.answer("HAVEKEY " + "0" * 40, st)[0].decode().startswith(NO_SECKEY)
    assert oracle.answer("SIGKEY " + "0" * 40, st)[0].decode().startswith(NO_SECKEY)
    assert oracle.answer("PKSIGN", st)[0].decode().startswith(NO_SECKEY)
    assert oracle.answer("SIGKEY " + oracle.grip.lower(), st)[0] == b"OK\n"
    assert oracle.answer("SETHASH 2 " + "00" * 20, st)[0].decode().startswith(BAD_DIGEST)  # SHA-1
    assert oracle.answer("SETHASH 8 " + "00" * 20, st)[0].decode().startswith(BAD_DIGEST)
    digest = bytes(range(32))
    assert oracle.answer("SETHASH 8 " + digest.hex(), st)[0] == b"OK\n"
    reply, _ = oracle.answer("PKSIGN", st)
    sexp = (
        b"".join(ln[2:] for ln in reply.split(b"\n") if ln.startswith(b"D "))
        .replace(b"%0A", b"\n")
        .replace(b"%0D", b"\r")
        .replace(b"%25", b"%")
    )
    assert reply.endswith(b"OK\n") and sexp.startswith(b"(7:sig-val(3:rsa(1:s")
    size, _, rest = sexp.removeprefix(b"(7:sig-val(3:rsa(1:s").partition(b":")
    sig = rest[: int(size)]
    signer.key.public_key().verify(sig, digest, PKCS1v15(), Prehashed(hashes.SHA256()))
    assert oracle.answer("PKSIGN", st)[0].decode().startswith(FORBIDDEN)  # the budget is spent


def test_a_line_longer_than_assuan_allows_ends_the_connection(
    signer: RsaSigner, tmp_path: Path
) -> None:
    with SigningOracle(signer, tmp_path / "S", budget=1), socket.socket(socket.AF_UNIX) as c:
        c.settimeout(10)
        c.connect(str(tmp_path / "S"))
        assert c.recv(100).startswith(b"OK")
        c.sendall(b"SETKEYDESC " + b"x" * 5000)
        got = b""
        try:
            while chunk := c.recv(100):
                got += chunk
        except ConnectionResetError:  # closed with the rest of the line unread
            pass
        assert got == b""  # closed without an answer


def test_connections_beyond_the_cap_are_closed(signer: RsaSigner, tmp_path: Path) -> None:
    """A sandbox that opens connection after connection gets CONNECTIONS served at once; the
    next is closed at once, and a freed slot serves again."""
    path = tmp_path / "S.agent"
    with SigningOracle(signer, path, budget=1):
        held = []
        for _ in range(CONNECTIONS):
            c = socket.socket(socket.AF_UNIX)
            c.connect(str(path))
            assert c.recv(100).startswith(b"OK")
            held.append(c)
        extra = socket.socket(socket.AF_UNIX)
        extra.connect(str(path))
        extra.settimeout(5)
        assert extra.recv(100) == b""  # closed without a greeting
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:  # the slot is freed once its thread has ended
            again = socket.socket(socket.AF_UNIX)
            again.connect(str(path))
            again.settimeout(5)
            if again.recv(100).startswith(b"OK"):
                break
            assert time.monotonic() < deadline
        for c in [*held, again, extra]:
            c.close()
