"""The tests' own module: three noarch components in two build groups (tool BuildRequires
liba-devel, built in the first group), and a module `demo` with streams 1 and 2 whose
components are at versions 1.0 and 2.0, each in a local dist-git."""

from __future__ import annotations

from pathlib import Path

from tests.integration.imports.helpers import commit, init_repo

COMPONENTS = ("liba", "libb", "tool")


def _spec(name: str, version: str, body: str, extra: str = "") -> str:
    return f"""Name: {name}
Version: {version}
Release: 1%{{?dist}}
Summary: {name} of the modules test
License: MIT
BuildArch: noarch
{extra}
%description
{name} {version}.
{body}
%changelog
* Mon Jan 01 2024 Up Stream <up@example.org> - {version}-1
- build
"""


def spec(name: str, v: str) -> str:
    if name == "liba":
        return _spec(
            name,
            v,
            f"""
%package devel
Summary: liba headers
%description devel
liba-devel {v}.

%install
mkdir -p %{{buildroot}}/usr/share/liba
echo {v} > %{{buildroot}}/usr/share/liba/version
echo liba-devel {v} > %{{buildroot}}/usr/share/liba/devel-version

%files
/usr/share/liba/version

%files devel
/usr/share/liba/devel-version
""",
        )
    if name == "libb":
        return _spec(
            name,
            v,
            f"""
%install
mkdir -p %{{buildroot}}/usr/share/libb
echo {v} > %{{buildroot}}/usr/share/libb/version

%files
/usr/share/libb
""",
        )
    return _spec(
        name,
        v,
        """
%install
mkdir -p %{buildroot}/usr/share/tool
cat /usr/share/liba/devel-version > %{buildroot}/usr/share/tool/built-against
echo "%{?modularitylabel}|%{?_module_name}|%{?_module_stream}|%{?demo_flavour}" \\
  > %{buildroot}/usr/share/tool/module

%files
/usr/share/tool
""",
        extra="BuildRequires: liba-devel\nRequires: liba\n",
    )


def modulemd(stream: str) -> str:
    return f"""\
document: modulemd
version: 2
data:
  name: demo
  stream: "{stream}"
  summary: The modules test's module
  description: Three components in two build groups.
  license:
    module: [MIT]
  dependencies:
  - buildrequires: {{platform: [el9]}}
    requires: {{platform: [el9]}}
  profiles:
    common:
      rpms: [tool]
  api:
    rpms: [tool, liba, libb]
  filter:
    rpms: [liba-devel]
  buildopts:
    rpms:
      macros: |
        %demo_flavour flavour-{stream}
  components:
    rpms:
      liba: {{rationale: the library, ref: r9, buildorder: 1}}
      libb: {{rationale: a second library, ref: r9, buildorder: 1}}
      tool: {{rationale: the tool, built against liba-devel, ref: r9, buildorder: 2}}
"""


def write_components(root: Path, version: str, date: int) -> None:
    for name in COMPONENTS:
        repo = root / f"{name}.git"
        if not repo.is_dir():
            init_repo(repo, branch="c9")
        commit(repo, {f"SPECS/{name}.spec": spec(name, version)}, date=date)


def write_module(root: Path, stream: str, date: int) -> None:
    repo = root / "demo.git"
    if not repo.is_dir():
        init_repo(repo, branch=f"stream-{stream}")
    else:
        from tests.integration.imports.helpers import git

        git(repo, "checkout", "-q", "--orphan", f"stream-{stream}")
    commit(repo, {"SOURCES/modulemd.src.txt": modulemd(stream)}, date=date)


def project_spec(root: Path, name: str, module_branch: str, extra: tuple[dict, ...] = ()) -> dict:
    return {
        "name": name,
        "arches": ["x86_64"],
        "dist": ".el9",
        "vendor": {"family": "el", "major": 9, "minor": 4},
        "target": {"branch": "r9"},
        "upstream": {"kind": "dist-git", "url": root.as_uri() + "/{name}.git", "branch": "c9"},
        "repositories": [{"name": "AppStream", "modules": ["demo:*"]}],
        "packages": [
            *({"name": c} for c in COMPONENTS),
            {"name": "demo", "upstream": {"branch": module_branch}},
            *extra,
        ],
        "modules": {
            "defaults": [
                {"name": "demo", "stream": "1", "profiles": {"1": ["common"], "2": ["common"]}}
            ]
        },
    }
