from olivine.builds.macros import DEBUGINFO_MACROS, family_macros, project_macros
from olivine.projects.schema import ProjectFile


def _project(**kw: object) -> ProjectFile:
    base: dict[str, object] = {"name": "el9", "upstream": {"url": "file:///srv/{name}.git"}}
    base.update(kw)
    return ProjectFile.model_validate(base)


def test_el_project_defines_dist_vendor_and_rhel_macros() -> None:
    p = _project(
        dist=".el9",
        vendor={"family": "el", "major": 9, "minor": 4},
        macros={"vendor": "Olivine", "packager": "Build <b@example.org>", "distribution": "O 9"},
    )
    m = project_macros(p)
    assert m.value("dist") == ".el9"
    assert m.value("rhel") == "9"
    assert m.value("el9") == "1"
    assert m.value("centos") is None
    assert m.value("vendor") == "Olivine"
    assert m.value("packager") == "Build <b@example.org>"
    assert m.value("distribution") == "O 9"
    args = m.rpmbuild_args()
    assert args[:2] == ["--define", "_buildshell /bin/bash --posix"]
    assert "_build_id_links none" in args
    assert m.env["LC_ALL"] == "C"


def test_dist_without_leading_dot_gets_one() -> None:
    assert project_macros(_project(dist="el9")).value("dist") == ".el9"


def test_other_families() -> None:
    assert family_macros("fedora", 40, 0) == [("fedora", "40"), ("fc40", "1")]
    assert family_macros("suse", 15, 4) == [("suse_version", "1500"), ("sle_version", "150400")]
    assert family_macros("generic", 1, 0) == []


def test_package_with_and_without_switches() -> None:
    p = _project(packages=[{"name": "hello", "with": ["static"], "without": ["docs"]}])
    args = project_macros(p, "hello").rpmbuild_args()
    assert args[-4:] == ["--with", "static", "--without", "docs"]
    assert "--with" not in project_macros(p, "other").rpmbuild_args()


def test_extra_macros_and_debuginfo_switch() -> None:
    p = _project(macros={"extra": {"_with_tests": "1"}})
    m = project_macros(p)
    assert m.value("_with_tests") == "1"
    assert m.macro_file() == DEBUGINFO_MACROS
    generic = project_macros(_project(vendor={"family": "generic"}))
    assert generic.macro_file() == ""
    assert project_macros(p, debuginfo=False).macro_file() == ""
