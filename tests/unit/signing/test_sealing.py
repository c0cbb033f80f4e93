"""The KEK file rules and AES-GCM sealing of private key material."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from olivine.errors import ConfigError, IntegrityFailure
from olivine.signing.sealing import create_kek, load_kek


def test_seal_round_trip_and_purpose_binding(tmp_path: Path) -> None:
    kek = create_kek(tmp_path / "kek")
    blob = kek.seal(b"private key bytes", "project:el9:key:AB")
    assert b"private key bytes" not in blob
    assert load_kek(tmp_path / "kek").open(blob, "project:el9:key:AB") == b"private key bytes"
    with pytest.raises(IntegrityFailure, match="does not open"):
        kek.open(blob, "project:other:key:AB")
    assert "hidden" in repr(kek)


def test_another_kek_cannot_open(tmp_path: Path) -> None:
    blob = create_kek(tmp_path / "a").seal(b"x", "p")
    with pytest.raises(IntegrityFailure):
        create_kek(tmp_path / "b").open(blob, "p")


def test_refuses_readable_by_others(tmp_path: Path) -> None:
    create_kek(tmp_path / "kek")
    os.chmod(tmp_path / "kek", 0o644)
    with pytest.raises(ConfigError, match="mode 644"):
        load_kek(tmp_path / "kek")


def test_refuses_under_data_dir_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="under the data directory"):
        create_kek(tmp_path / "data" / "kek", data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match="does not exist"):
        load_kek(tmp_path / "nothing")


def test_never_overwrites(tmp_path: Path) -> None:
    create_kek(tmp_path / "kek")
    with pytest.raises(FileExistsError):
        create_kek(tmp_path / "kek")
