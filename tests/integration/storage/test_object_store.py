"""One suite, every backend: the local filesystem and S3 (moto_server on loopback, started here)."""

from __future__ import annotations

import hashlib
import io
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from olivine.errors import IntegrityFailure, NotFound, ValidationFailed
from olivine.storage import links
from olivine.storage.fs import FsStore
from olivine.storage.interfaces import ObjectStore
from olivine.storage.s3 import S3Store
from olivine.supervisor import free_port


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError("moto_server exited") from None
            import time

            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(params=["fs", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "fs":
        return FsStore(tmp_path / "objects", "http://127.0.0.1:9", b"k" * 32)
    url = request.getfixturevalue("moto_url")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return S3Store(
        f"b{os.urandom(4).hex()}",
        endpoint_url=url,
        access_key_id="testing",
        secret_access_key="testing",
        create_bucket=True,
    )


def test_put_get_roundtrip_is_content_addressed(store: ObjectStore) -> None:
    data = b"hello olivine\n" * 1000
    res = store.put_bytes(data)
    assert res.sha256 == hashlib.sha256(data).hexdigest() and res.size == len(data) and res.created
    assert store.exists(res.sha256)
    assert store.stat(res.sha256).size == len(data)
    assert store.get_bytes(res.sha256) == data
    again = store.put_bytes(data)
    assert again.sha256 == res.sha256 and not again.created


def test_expected_hash_mismatch_stores_nothing(store: ObjectStore) -> None:
    wrong = "0" * 64
    with pytest.raises(IntegrityFailure, match="expected sha256 0000"):
        store.put_stream(io.BytesIO(b"payload"), expected_sha256=wrong)
    assert not store.exists(hashlib.sha256(b"payload").hexdigest())
    assert not store.exists(wrong)


def test_missing_and_malformed_keys(store: ObjectStore) -> None:
    with pytest.raises(NotFound, match="not found"):
        store.stat("a" * 64)
    with pytest.raises(NotFound):
        store.get_bytes("a" * 64)
    with pytest.raises(ValidationFailed, match="sha256"):
        store.exists("../../etc/passwd")


def test_download_verifies_and_delete_removes(store: ObjectStore, tmp_path: Path) -> None:
    res = store.put_bytes(b"x" * 5000)
    dest = store.download(res.sha256, tmp_path / "out.bin")
    assert dest.read_bytes() == b"x" * 5000
    store.delete(res.sha256)
    assert not store.exists(res.sha256)


def test_url_for_serves_the_bytes(store: ObjectStore) -> None:
    res = store.put_bytes(b"downloadable")
    url = store.url_for(res.sha256, "file.rpm")
    if isinstance(store, S3Store):
        r = httpx.get(url)
        assert r.status_code == 200 and r.content == b"downloadable"
    else:
        assert url.startswith("http://127.0.0.1:9/objects/" + res.sha256 + "?e=")
        query = dict(p.split("=") for p in url.split("?")[1].split("&"))
        assert links.verify(b"k" * 32, res.sha256, int(query["e"]), query["s"])
        assert not links.verify(b"k" * 32, res.sha256, int(query["e"]), "0" * 32)
        assert not links.verify(b"k" * 32, res.sha256, 1, query["s"])


class _Zeros(io.RawIOBase):
    """A large stream generated on the fly, so the test itself holds no copy."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = min(len(b), self.left)
        b[:n] = b"\0" * n
        self.left -= n
        return n


def test_streaming_put_and_read_in_constant_memory(store: ObjectStore) -> None:
    size = 128 * 1024 * 1024
    store.get_bytes(store.put_bytes(b"warm-up: clients load their models lazily").sha256)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = store.put_stream(io.BufferedReader(_Zeros(size), 1024 * 1024))
    h = hashlib.sha256()
    for chunk in store.open(res.sha256):
        h.update(chunk)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert res.size == size and h.hexdigest() == res.sha256
    assert grown_mb < 64, f"peak RSS grew by {grown_mb:.0f} MB for a {size >> 20} MB object"
