"""Keys made once per session (RSA 4096 takes seconds to generate), and a KEK per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.signing import keys
from olivine.signing.keystore import KeyStore
from olivine.signing.sealing import Kek, create_kek


@pytest.fixture(scope="session")
def rsa_key() -> keys.KeyMaterial:
    return keys.generate("Olivine el9 signing key <build@example.org>", "rsa4096", 365)


@pytest.fixture(scope="session")
def rsa_key2() -> keys.KeyMaterial:
    return keys.generate("Olivine el9 next key <build@example.org>", "rsa4096", 365)


@pytest.fixture(scope="session")
def other_key() -> keys.KeyMaterial:
    return keys.generate("Mallory <mallory@example.org>", "ed25519", 365)


@pytest.fixture
def kek(tmp_path: Path) -> Kek:
    return create_kek(tmp_path / "signer" / "kek")


@pytest.fixture
def keystore(db: Database, kek: Kek, tmp_path: Path) -> Iterator[KeyStore]:
    ks = KeyStore(db, kek, tmp_path / "run")
    yield ks
    ks.sandboxes.close()  # the sandbox it made ahead holds a build slot
