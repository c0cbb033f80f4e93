"""Private key material at rest: sealed with AES-256-GCM under a key-encryption key (KEK).

The KEK lives in one file named by the signing worker's own configuration
(`OLIVINE_SIGNING_KEK_FILE`). It is never in the database, never in an environment variable (git
subprocesses inherit the environment), and never under the data directory, which other processes
of the instance read. Only the signer's uid may read it: `load_kek` refuses a file that another
uid owns or that group or others may read, and says which, without printing any of its bytes.

Each sealed blob is `version byte || 12-byte nonce || ciphertext+tag`; the associated data binds
a blob to what it is for (say `project:el9:key:<fingerprint>`), so a blob copied onto another row
does not open.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from olivine.errors import ConfigError, IntegrityFailure

KEK_BYTES = 32
_VERSION = b"\x01"
_NONCE = 12


class Kek:
    """A loaded key-encryption key. Its repr never shows the key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEK_BYTES:
            raise ConfigError(f"a signing KEK is {KEK_BYTES} bytes, this one is {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Kek(<hidden>)"

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def open(self, blob: bytes, purpose: str) -> bytes:
        if blob[:1] != _VERSION or len(blob) < 1 + _NONCE + 16:
            raise IntegrityFailure(f"sealed key material for {purpose} is not in a known format")
        nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, purpose.encode())
        except InvalidTag:
            raise IntegrityFailure(
                f"sealed key material for {purpose} does not open with this signer's KEK"
            ) from None


def _refuse_under(path: Path, data_dir: Path | None) -> None:
    if data_dir is None:
        return
    resolved, root = path.resolve(), data_dir.resolve()
    if resolved == root or root in resolved.parents:
        raise ConfigError(
            f"the signing KEK file {path} lies under the data directory {data_dir}: "
            "keep it outside, readable by the signing worker's uid only"
        )


def load_kek(path: Path, data_dir: Path | None = None) -> Kek:
    """Read the KEK file, refusing one that anybody but this process's uid could read."""
    _refuse_under(path, data_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise ConfigError(f"the signing KEK file {path} does not exist") from None
    except PermissionError:
        raise ConfigError(f"the signing KEK file {path} is not readable by this uid") from None
    except OSError as e:
        raise ConfigError(f"the signing KEK file {path} cannot be opened: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"the signing KEK file {path} is not a regular file")
        if st.st_uid != os.geteuid():
            raise ConfigError(
                f"the signing KEK file {path} is owned by uid {st.st_uid}, "
                f"not by this signer's uid {os.geteuid()}"
            )
        if st.st_mode & 0o077:
            raise ConfigError(
                f"the signing KEK file {path} has mode {stat.S_IMODE(st.st_mode):o}: make it 600"
            )
        key = os.read(fd, KEK_BYTES + 1)
    finally:
        os.close(fd)
    return Kek(key)


def create_kek(path: Path, data_dir: Path | None = None) -> Kek:
    """Write a new random KEK (mode 0600, owned by this uid); refuses to overwrite one."""
    _refuse_under(path, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEK_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return Kek(key)
