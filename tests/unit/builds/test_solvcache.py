"""The worker's repository cache: fetched metadata files are named by their sha256 only, so a
repomd.xml (anyone's) cannot make the cache read or write a path of its choosing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from olivine.builds.solvcache import SolvCache


def test_a_digest_that_is_not_64_hex_digits_names_no_file(tmp_path: Path) -> None:
    kept = SolvCache(tmp_path / "cache").fetched
    secret = tmp_path / "secret"
    secret.write_text("not for the build")
    data = tmp_path / "primary.xml.gz"
    data.write_bytes(b"metadata")
    for bad in ("../../secret", "../secret", "/etc/passwd", "A" * 64, "0" * 63, ""):
        kept.keep_file(bad, data)
        assert not kept.take(bad, tmp_path / "out" / "x")
    assert not (tmp_path / "out" / "x").exists() and secret.read_text() == "not for the build"
    assert not (tmp_path / "cache" / "fetched").exists() or not any(
        (tmp_path / "cache" / "fetched").iterdir()
    )


def test_a_kept_file_comes_back_by_its_digest(tmp_path: Path) -> None:
    kept = SolvCache(tmp_path / "cache").fetched
    data = tmp_path / "primary.xml.gz"
    data.write_bytes(b"metadata")
    sha = hashlib.sha256(b"metadata").hexdigest()
    assert not kept.take(sha, tmp_path / "a")
    kept.keep_file(sha, data)
    assert kept.take(sha, tmp_path / "b" / "primary.xml.gz")
    assert (tmp_path / "b" / "primary.xml.gz").read_bytes() == b"metadata"
