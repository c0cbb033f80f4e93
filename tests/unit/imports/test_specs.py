"""Spec evaluation with rpm's parser: project macros, errors with rpm's line, no leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from olivine.imports.errors import SpecError
from olivine.imports.specs import evaluate, rpm_defines

HEAD = "Summary: s\nLicense: MIT\n%description\nd\n"


def spec(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.spec"
    path.write_text(body + HEAD)
    return path


def test_project_macros_and_sources(tmp_path: Path) -> None:
    p = spec(
        tmp_path,
        "x",
        "%bcond_with foo\nName: x\nEpoch: 2\nVersion: 1.%{rhel}\n"
        "Release: 3%{?with_foo:.foo}%{?dist}\nSource0: %{name}-%{version}.tar.gz\n"
        "Patch7: fix.patch\n",
    )
    info = evaluate(p, rpm_defines([("dist", ".el9"), ("rhel", "9")], with_=["foo"]))
    assert str(info.nevr) == "x-2:1.9-3.foo.el9"
    assert [(s.number, s.filename, s.is_patch) for s in info.sources] == [
        (0, "x-1.9.tar.gz", False),
        (7, "fix.patch", True),
    ]


def test_globals_do_not_leak_between_specs(tmp_path: Path) -> None:
    a = spec(tmp_path, "a", "Name: a\nVersion: 1\nRelease: 1\n%global baserelease 7\n")
    b = spec(tmp_path, "b", "Name: b\nVersion: 1\nRelease: %{?baserelease}%{!?baserelease:1}\n")
    assert evaluate(a, []).nevr.release == "1"
    assert evaluate(b, []).nevr.release == "1"
    assert evaluate(b, [("dist", ".el9")]).nevr.release == "1"


def test_unparsable_spec_names_rpm_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"bad\.spec does not parse: error: line 2: Unknown tag"):
        evaluate(spec(tmp_path, "bad", "Name: bad\nVersion 1\n"), [])
    with pytest.raises(SpecError, match="does not exist"):
        evaluate(tmp_path / "none.spec", [])
