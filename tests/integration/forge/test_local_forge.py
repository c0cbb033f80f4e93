"""The local forge against the real git command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from olivine.errors import Conflict, NotFound, ValidationFailed
from olivine.forge.local import LocalForge
from olivine.forge.remote import RemoteForge


def _tree(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_commit_tag_and_read_back(tmp_path: Path) -> None:
    forge = LocalForge(tmp_path / "forge")
    src = _tree(
        tmp_path / "a",
        {"SPECS/x.spec": "Name: x\n", "SOURCES/p.patch": "diff\n", ".gitignore": "*.patch\n"},
    )
    res = forge.commit_tree(
        "el9", "x", "r9", src, "import x\n\nupstream: u", tag="imports/r9/x-1-1"
    )
    assert res.changed and res.tag == "imports/r9/x-1-1"
    assert forge.repo_path("el9", "x") == tmp_path / "forge/el9/rpms/x.git"
    assert forge.head("el9", "x", "r9") == res.commit
    # ignored files are committed too: the tree is taken exactly as given
    assert forge.list_files("el9", "x", "r9") == [".gitignore", "SOURCES/p.patch", "SPECS/x.spec"]
    assert forge.read_file("el9", "x", res.commit, "SPECS/x.spec") == b"Name: x\n"
    info = forge.commit_info("el9", "x", "imports/r9/x-1-1")
    assert info.commit == res.commit and info.parents == () and "upstream: u" in info.message
    tag = forge.tag_info("el9", "x", "imports/r9/x-1-1")
    assert tag is not None and tag.commit == res.commit
    kind = subprocess.run(
        ["git", f"--git-dir={forge.repo_path('el9', 'x')}", "cat-file", "-t", "imports/r9/x-1-1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert kind.stdout.strip() == "tag"  # annotated
    out = forge.export("el9", "x", res.commit, tmp_path / "out")
    assert (out / "SOURCES/p.patch").read_text() == "diff\n"


def test_unchanged_tree_makes_no_commit(tmp_path: Path) -> None:
    forge = LocalForge(tmp_path / "forge")
    src = _tree(tmp_path / "a", {"f": "1"})
    first = forge.commit_tree("p", "x", "main", src, "one", tag="t1")
    again = forge.commit_tree("p", "x", "main", src, "two", tag="t2")
    assert not again.changed and again.commit == first.commit
    assert forge.tag_info("p", "x", "t2") is None
    (src / "f").write_text("2")
    second = forge.commit_tree("p", "x", "main", src, "three", tag="t3")
    assert second.changed and forge.commit_info("p", "x", second.commit).parents == (first.commit,)


def test_existing_tag_is_never_moved(tmp_path: Path) -> None:
    forge = LocalForge(tmp_path / "forge")
    src = _tree(tmp_path / "a", {"f": "1"})
    first = forge.commit_tree("p", "x", "main", src, "one", tag="imports/main/x-1-1")
    (src / "f").write_text("2")
    with pytest.raises(Conflict, match="never moved"):
        forge.commit_tree("p", "x", "main", src, "two", tag="imports/main/x-1-1")
    assert forge.head("p", "x", "main") == first.commit  # untouched


def test_bad_names_and_missing(tmp_path: Path) -> None:
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(ValidationFailed):
        forge.repo_path("p", "../x")
    assert forge.head("p", "nope", "main") is None
    with pytest.raises(NotFound):
        forge.list_files("p", "nope", "main")
    forge.commit_tree("p", "x", "main", _tree(tmp_path / "a", {"f": "1"}), "m")
    with pytest.raises(NotFound):
        forge.read_file("p", "x", "main", "missing")


def test_remote_forge_pushes_atomically(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / "p/rpms").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(host / "p/rpms/x.git")], check=True)
    forge = RemoteForge(host.as_uri() + "/{project}/rpms/{package}.git", tmp_path / "cache")
    res = forge.commit_tree("p", "x", "r9", _tree(tmp_path / "a", {"f": "1"}), "m", tag="t1")
    out = subprocess.run(
        ["git", f"--git-dir={host / 'p/rpms/x.git'}", "rev-parse", "r9", "t1^{}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [res.commit, res.commit]
    # a second cache sees the host's state
    other = RemoteForge(forge.url_template, tmp_path / "cache2")
    assert other.head("p", "x", "r9") == res.commit
    # another worker's cache, already made, reads a commit it has not seen yet
    later = forge.commit_tree("p", "x", "r9", _tree(tmp_path / "b", {"f": "2"}), "m2", tag="t2")
    assert other.read_file("p", "x", later.commit, "f") == b"2"
    assert other.tag_info("p", "x", "t2").commit == later.commit  # type: ignore[union-attr]
    assert RemoteForge(forge.url_template, tmp_path / "c3").exists("p", "nope") is False
    # a push the host refuses leaves the host as it was
    (host / "p/rpms/x.git/hooks/pre-receive").write_text("#!/bin/sh\nexit 1\n")
    (host / "p/rpms/x.git/hooks/pre-receive").chmod(0o755)
    with pytest.raises(Conflict, match="push to"):
        forge.commit_tree("p", "x", "r9", _tree(tmp_path / "c", {"f": "3"}), "m3", tag="t3")
    assert other.head("p", "x", "r9") == later.commit
    assert forge.head("p", "x", "r9") == later.commit  # the cache was put back
