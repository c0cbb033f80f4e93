"""Safe extraction of tar and cpio, and reproducible tarballs."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from olivine.imports.archive import extract_cpio, extract_tar, reproducible_tar_gz
from olivine.imports.errors import UnsafeArchive


def _tar(members: list[tuple[str, bytes | None, str | None]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link
                tar.addfile(info)
            else:
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
    buf.seek(0)
    return buf


def newc(members: list[tuple[str, int, bytes]]) -> io.BytesIO:
    """A cpio newc archive (what rpm2cpio writes), built by hand for hostile cases."""
    out = io.BytesIO()
    for i, (name, mode, data) in enumerate([*members, ("TRAILER!!!", 0, b"")]):
        raw = name.encode() + b"\0"
        fields = [i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + raw)
        out.write(b"\0" * ((-(110 + len(raw))) % 4) + data + b"\0" * ((-len(data)) % 4))
    out.seek(0)
    return out


def test_tar_ok(tmp_path: Path) -> None:
    names = extract_tar("t", _tar([("./a/b.txt", b"hi", None), ("a/l", None, "b.txt")]), tmp_path)
    assert names == ["a/b.txt", "a/l"]
    assert (tmp_path / "a/l").read_text() == "hi"


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([("../evil", b"x", None)], ".."),
        ([("a/../../evil", b"x", None)], ".."),
        ([("/etc/evil", b"x", None)], "absolute"),
        ([("l", None, "/etc/passwd")], "absolute"),
        ([("a/l", None, "../../x")], "out of the tree"),
    ],
)
def test_tar_hostile(tmp_path: Path, members: list, words: str) -> None:
    with pytest.raises(UnsafeArchive, match=words):
        extract_tar("bad.tar", _tar(members), tmp_path / "x")
    assert not (tmp_path / "evil").exists()


def test_cpio_ok(tmp_path: Path) -> None:
    arc = newc([("x.spec", 0o100644, b"Name: x\n"), ("l", 0o120777, b"x.spec")])
    assert extract_cpio("a.src.rpm", arc, tmp_path) == ["x.spec", "l"]
    assert (tmp_path / "l").read_text() == "Name: x\n"


@pytest.mark.parametrize(
    ("name", "mode", "data", "words"),
    [
        ("../evil", 0o100644, b"x", ".."),
        ("/tmp/evil", 0o100644, b"x", "absolute"),
        ("l", 0o120777, b"/etc/passwd", "absolute"),
        ("l", 0o120777, b"../../etc/passwd", "out of the tree"),
        ("dev", 0o020644, b"", "not a regular file"),
    ],
)
def test_cpio_hostile(tmp_path: Path, name: str, mode: int, data: bytes, words: str) -> None:
    with pytest.raises(UnsafeArchive, match=words):
        extract_cpio("bad.src.rpm", newc([(name, mode, data)]), tmp_path / "x")
    assert not (tmp_path / "evil").exists()


def test_reproducible_tarball(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/b").write_text("b")
    (tmp_path / "a").write_text("a")
    outs = []
    for _ in range(2):
        buf = io.BytesIO()
        reproducible_tar_gz(tmp_path, ["d/b", "a"], "p-1", buf)
        outs.append(buf.getvalue())
        (tmp_path / "a").touch()  # a new mtime changes nothing
    assert outs[0] == outs[1]
    with tarfile.open(fileobj=io.BytesIO(outs[0])) as tar:
        assert tar.getnames() == ["p-1", "p-1/d", "p-1/a", "p-1/d/b"]


def test_link_chain_escape(tmp_path: Path) -> None:
    arc = _tar([("a", None, "."), ("a/c", None, ".."), ("a/c/evil", b"x", None)])
    with pytest.raises(UnsafeArchive):
        extract_tar("chain.tar", arc, tmp_path / "x")
    assert not (tmp_path / "evil").exists()
