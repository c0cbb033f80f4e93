"""The example patch repository in examples/patches applies as documented, and the Python
descriptors of srpmproc's schema agree with srpmproc_cfg.proto."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from google.protobuf import descriptor_pb2

from olivine.imports.patches.apply import Workspace, apply_file
from olivine.imports.patches.cfgproto import file_descriptor
from olivine.imports.patches.repo import read_directives
from olivine.storage.fs import FsStore

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples/patches/hello"
PROTO = ROOT / "src/olivine/imports/patches/srpmproc_cfg.proto"

SPEC = """\
Name: hello
Version: 2.1
Release: 4%{?dist}
Summary: Greeting
License: MIT
URL: https://redhat.com/hello
Vendor: Red Hat
Source0: hello-2.1.tar.gz
Source9: logo.txt

%description
Hello, see https://redhat.com.

%prep
%setup -q

%install
mkdir -p %{buildroot}/usr/share/hello

%files

%changelog
* Mon Jan 01 2024 Up Stream <up@example.org> - 2.1-4
- release
"""


def test_example_repository_applies(tmp_path: Path, fs_store: FsStore) -> None:
    tree = tmp_path / "tree"
    (tree / "SPECS").mkdir(parents=True)
    (tree / "SOURCES").mkdir()
    (tree / "SPECS/hello.spec").write_text(SPEC)
    for name, text in {
        "logo.txt": "RH\n",
        "redhat-only.txt": "x\n",
        "README": "Hello\nSee https://redhat.com\n",
        "artwork.bin": "\0art",
    }.items():
        (tree / "SOURCES" / name).write_text(text)
    ws = Workspace(tree, {}, fs_store, EXAMPLE, "hello", [("dist", ".el9")], datetime(2024, 6, 1))
    files = read_directives(EXAMPLE)
    assert [f.path for f in files] == ["PATCHES/branding.yaml", "ROCKY/CFG/hello.cfg"]
    for df in files:
        apply_file(ws, df)
    spec = (tree / "SPECS/hello.spec").read_text()
    assert "Vendor: Olivine" in spec and "redhat.com" not in spec
    assert "Release: 4.olv1%{?dist}" in spec and "%patch -P0 -p1" in spec
    assert "install -m644 %{SOURCE9} %{buildroot}/usr/share/hello/" in spec
    assert "Provides: hello-branding" in spec
    assert "- 2.1-4.olv1\n- Debrand for Olivine" in spec
    assert (tree / "SOURCES/README").read_text() == "Hello\nSee https://example.org\n"
    assert (tree / "SOURCES/logo.txt").read_text() == "Olivine logo\n"
    assert not (tree / "SOURCES/redhat-only.txt").exists()
    assert "SOURCES/artwork.bin" in ws.blobs and not (tree / "SOURCES/artwork.bin").exists()


def test_descriptors_match_the_proto_file() -> None:
    text = " ".join(PROTO.read_text().split())
    names = {
        v: k.lower().removeprefix("type_")
        for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()
    }

    def walk(msgs: list[descriptor_pb2.DescriptorProto]) -> int:
        n = 0
        for msg in msgs:
            assert f"message {msg.name} {{" in text
            for f in msg.field:
                kind = f.type_name.rsplit(".", 1)[-1] if f.type_name else names[f.type]
                rep = "repeated " if f.label == f.LABEL_REPEATED else ""
                assert f"{rep}{kind} {f.name} = {f.number};" in text, (msg.name, f.name)
                n += 1
            n += walk(list(msg.nested_type))
        return n

    assert walk(list(file_descriptor().message_type)) == 47  # every field of srpmproc_cfg.proto
