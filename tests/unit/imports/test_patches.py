"""The patch directives engine: both formats, every directive kind, and failures that name the
directive, the file and the line."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from olivine.imports.errors import DirectiveError
from olivine.imports.patches.apply import Workspace, apply_file
from olivine.imports.patches.formats import load_cfg, load_yaml
from olivine.imports.specs import evaluate
from olivine.storage.fs import FsStore

SPEC = """\
Name:           hello
Version:        1.0
Release:        3%{?dist}
Summary:        Hello from Red Hat
License:        MIT
Vendor:         Red Hat
Source0:        hello-1.0.tar.gz
Patch0:         0001-old.patch
Patch1:         0002-keep.patch

%description
Hello, built by Red Hat.

%prep
%setup -q
%patch -P0 -p1
%patch -P1 -p1

%build

%files

%changelog
* Mon Jan 01 2024 Upstream <up@example.org> - 1.0-3
- Upstream release
"""

YAML = """\
replace:
  - file: README
    with_file: files/README.olivine
  - file: SOURCES/logo.txt
    with_inline: "olivine logo\\n"
delete:
  - file: 0001-old.patch
add:
  - file: files/0100-debrand.patch
patch:
  - file: patches/readme.diff
lookaside:
  - files: [SOURCES/big.bin]
spec:
  files:
    - {name: 0100-debrand.patch, type: patch, add: true, add_to_prep: true, strip: 1}
    - {name: 0001-old.patch, type: patch, delete: true}
    - {name: extra.tar.gz, type: source, add: true}
  search_and_replace:
    - {field: Vendor, find: Red Hat, replace: Olivine}
    - {any: true, find: Red Hat, replace: Olivine, n: 1}
  append:
    - {field: Release, value: .olv1}
  new_field:
    - {key: Provides, value: hello-olivine}
  changelog:
    - author_name: Olivine Builder
      author_email: build@example.org
      message: [Debranded]
"""

CFG = """\
# srpmproc's format, as in a Rocky patch repository
replace {
  file: "README"
  with_file: "files/README.olivine"
}
delete {
  file: "SOURCES/0001-old.patch"
}
add {
  file: "files/0100-debrand.patch"
}
patch {
  file: "patches/readme.diff"
}
lookaside {
  file: "SOURCES/big.bin"
}
spec_change {
  file {
    name: "0100-debrand.patch"
    type: Patch
    add: true
    add_to_prep: true
    n_path: 1
  }
  file {
    name: "0001-old.patch"
    type: Patch
    delete: true
  }
  search_and_replace {
    field: "Vendor"
    find: "Red Hat"
    replace: "Olivine"
    n: -1
  }
  search_and_replace {
    any: true
    find: "Red Hat"
    replace: "Olivine"
    n: 1
  }
  append {
    field: "Release"
    value: ".olv1"
  }
  new_field {
    key: "Provides"
    value: "hello-olivine"
  }
  changelog {
    author_name: "Olivine Builder"
    author_email: "build@example.org"
    message: "Debranded"
  }
}
"""


def make_tree(root: Path) -> Path:
    (root / "SPECS").mkdir(parents=True)
    (root / "SOURCES").mkdir()
    (root / "SPECS/hello.spec").write_text(SPEC)
    (root / "SOURCES/README").write_text("line one\nline two\n")
    (root / "SOURCES/logo.txt").write_text("rh logo\n")
    (root / "SOURCES/0001-old.patch").write_text("old\n")
    (root / "SOURCES/0002-keep.patch").write_text("keep\n")
    (root / "SOURCES/big.bin").write_bytes(b"\0" * 4096)
    return root


def make_patch_root(root: Path) -> Path:
    (root / "files").mkdir(parents=True)
    (root / "patches").mkdir()
    (root / "files/README.olivine").write_text("line one\nline two\n")
    (root / "files/0100-debrand.patch").write_text("debrand\n")
    (root / "patches/readme.diff").write_text(
        "--- a/README\n+++ b/README\n@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2 (olivine)\n"
    )
    return root


def workspace(tmp_path: Path, store: FsStore) -> Workspace:
    return Workspace(
        tree=make_tree(tmp_path / "tree"),
        blobs={},
        store=store,
        patch_root=make_patch_root(tmp_path / "patchrepo"),
        name="hello",
        defines=[("dist", ".el9")],
        when=datetime(2024, 5, 6),
    )


@pytest.mark.parametrize("fmt", ["yaml", "cfg"])
def test_every_directive_kind(tmp_path: Path, fs_store: FsStore, fmt: str) -> None:
    ws = workspace(tmp_path, fs_store)
    df = load_yaml("PATCHES/a.yaml", YAML) if fmt == "yaml" else load_cfg("ROCKY/CFG/a.cfg", CFG)
    apply_file(ws, df)
    t = ws.tree
    assert (t / "SOURCES/README").read_text() == "line one\nline 2 (olivine)\n"  # replace+patch
    assert not (t / "SOURCES/0001-old.patch").exists()
    assert (t / "SOURCES/0100-debrand.patch").read_text() == "debrand\n"
    assert not (t / "SOURCES/big.bin").exists()
    assert ws.blobs["SOURCES/big.bin"].sha256 == hashlib.sha256(b"\0" * 4096).hexdigest()
    assert fs_store.exists(ws.blobs["SOURCES/big.bin"].sha256)
    spec = (t / "SPECS/hello.spec").read_text()
    assert "Vendor:         Olivine" in spec
    assert "Summary:        Hello from Olivine" in spec  # any, n: 1 (the first occurrence)
    assert "Hello, built by Red Hat." in spec
    assert "0001-old.patch" not in spec and "%patch -P0" not in spec
    assert "Patch2:" in spec and "%patch -P2 -p1" in spec
    assert "Provides: hello-olivine" in spec
    assert "* Mon May 06 2024 Olivine Builder <build@example.org> - 1.0-3.olv1\n- Debranded" in spec
    info = evaluate(t / "SPECS/hello.spec", [("dist", ".el9")])
    assert info.nevr.release == "3.el9.olv1"  # appended to the raw value, as srpmproc does
    if fmt == "yaml":
        assert (t / "SOURCES/logo.txt").read_text() == "olivine logo\n"
        assert "Source1:" in spec and "extra.tar.gz" in spec


@pytest.mark.parametrize(
    ("yaml_text", "directive", "line", "words"),
    [
        ("delete:\n  - file: nope.patch\n", "delete", 2, "SOURCES/nope.patch does not exist"),
        (
            "replace:\n  - file: README\n    with_file: files/none\n",
            "replace",
            2,
            "files/none does not exist in the patch repository",
        ),
        ("patch:\n  - file: patches/bad.diff\n", "patch", 2, "does not apply"),
        (
            "spec:\n  search_and_replace:\n    - {field: Summary, find: Nowhere, replace: x}\n",
            "search_and_replace",
            3,
            "'Nowhere' not found in field Summary",
        ),
        ("spec:\n  append:\n    - {field: '%nosuch', value: x}\n", "append", 3, "no %nosuch"),
        ("add:\n  - {file: a, lookaside: b}\n", "add", 2, "exactly one of"),
        ("replace:\n  - file: README\n    wit_file: x\n", "replace", 2, "unknown key"),
    ],
)
def test_broken_directives_name_file_and_line(
    tmp_path: Path, fs_store: FsStore, yaml_text: str, directive: str, line: int, words: str
) -> None:
    ws = workspace(tmp_path, fs_store)
    (ws.patch_root / "patches/bad.diff").write_text(
        "--- a/README\n+++ b/README\n@@ -1,1 +1,1 @@\n-not there\n+x\n"
    )
    with pytest.raises(DirectiveError) as err:
        apply_file(ws, load_yaml("PATCHES/x.yaml", yaml_text))
    assert err.value.message.startswith(f"patch directive {directive} (PATCHES/x.yaml:{line})")
    assert words in err.value.message


def test_cfg_errors_have_lines() -> None:
    with pytest.raises(DirectiveError, match=r"ROCKY/CFG/a.cfg:3\).*no field named \"fle\""):
        load_cfg("ROCKY/CFG/a.cfg", 'delete {\n  file: "x"\n  fle: "y"\n}\n')
    df = load_cfg("a.cfg", 'delete { file: "a" }\n\ndelete {\n  file: "b"\n}\n')
    assert [str(d.origin) for d in df.delete] == ["a.cfg:1", "a.cfg:3"]


CFG_MORE = """\
replace {
  file: "SOURCES/logo.txt"
  with_lookaside: "%(sha)s"
}
add {
  lookaside: "%(sha)s"
  name: "artwork.bin"
}
lookaside {
  file: "SOURCES/README"
  file: "SOURCES/0002-keep.patch"
  tar: true
  archive_name: "docs.tar.gz"
}
lookaside {
  file: "files/README.olivine"
  from_patch_tree: true
}
spec_change {
  file {
    name: "hello-1.0.tar.gz"
    type: Source
    delete: true
  }
  search_and_replace {
    starts_with: true
    find: "%%setup"
    replace: "%%autosetup"
    n: 1
  }
  search_and_replace {
    ends_with: true
    find: "Red Hat."
    replace: "Olivine."
    n: -1
  }
  append {
    field: "%%build"
    value: "echo built"
  }
}
"""


def test_lookaside_kinds_and_line_modes(tmp_path: Path, fs_store: FsStore) -> None:
    ws = workspace(tmp_path, fs_store)
    put = fs_store.put_bytes(b"olivine artwork")
    apply_file(ws, load_cfg("PATCHES/more.cfg", CFG_MORE % {"sha": put.sha256}))
    t = ws.tree
    assert ws.blobs["SOURCES/logo.txt"].sha256 == put.sha256
    assert not (t / "SOURCES/logo.txt").exists()
    assert ws.blobs["SOURCES/artwork.bin"].sha256 == put.sha256
    docs = ws.blobs["SOURCES/docs.tar.gz"]
    assert not (t / "SOURCES/README").exists() and not (t / "SOURCES/0002-keep.patch").exists()
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(fs_store.get_bytes(docs.sha256))) as tar:
        assert sorted(tar.getnames()) == ["SOURCES", "SOURCES/0002-keep.patch", "SOURCES/README"]
    assert "SOURCES/README.olivine" in ws.blobs
    assert (ws.patch_root / "files/README.olivine").exists()  # the patch repo is not touched
    spec = (t / "SPECS/hello.spec").read_text()
    assert "hello-1.0.tar.gz" not in spec
    assert "%autosetup -q" in spec and "Hello, built by Olivine." in spec
    assert "%build\necho built\n" in spec


def test_missing_lookaside_object_is_a_directive_error(tmp_path: Path, fs_store: FsStore) -> None:
    ws = workspace(tmp_path, fs_store)
    with pytest.raises(DirectiveError, match=r"add \(a.yaml:2\): lookaside object 0+ is not"):
        apply_file(ws, load_yaml("a.yaml", f"add:\n  - {{lookaside: '{'0' * 64}', name: x}}\n"))
