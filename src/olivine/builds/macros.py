"""The macros a project's builds run with.

Debian's rpm knows nothing of the distribution being built (TOOLCHAIN.md): no %dist, %rhel,
%vendor or automatic debuginfo, and /bin/sh is dash, not bash. An Enterprise Linux buildroot
gets these from redhat-release and redhat-rpm-config; here the builder supplies them:
- el:     %rhel N and %elN 1 (what RHEL's own macros.dist defines; %centos/%centos_ver are left
          undefined on purpose: a rebuild should take the RHEL branches of a spec)
- fedora: %fedora N and %fcN 1
- suse:   %suse_version (15 -> 1500) and %sle_version (15.4 -> 150400)
- generic: nothing
Automatic -debuginfo subpackages (el, fedora, suse) use redhat-rpm-config's own trick: %install
is redefined to emit %debug_package first. It needs Debian's debugedit and elfutils (eu-strip)."""

from __future__ import annotations

from dataclasses import dataclass, field

from olivine.projects.schema import ProjectFile

HOST_MACROS: tuple[tuple[str, str], ...] = (
    # EL's /bin/sh is bash, which runs in POSIX mode when called as sh: the same here (plain
    # bash differs, e.g. it rejects `> $f` when $f holds spaces; Debian's dash lacks bash-isms).
    ("_buildshell", "/bin/bash --posix"),
    ("rpmmacrodir", "/usr/lib/rpm/macros.d"),
    ("_build_id_links", "none"),
)
BUILD_ENV = {"LC_ALL": "C", "LANG": "C", "TZ": "UTC"}

# redhat-rpm-config's macros: a multi-line body, so it goes into the build's macro file
# rather than onto the command line.
DEBUGINFO_MACROS = """\
%_enable_debug_packages 1
%install %{?_enable_debug_packages:%{?buildsubdir:%{debug_package}}}\\
%%install\\
%{nil}
"""


@dataclass(frozen=True)
class MacroSet:
    defines: tuple[tuple[str, str], ...]
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    debuginfo: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(BUILD_ENV))

    def rpmbuild_args(self) -> list[str]:
        args: list[str] = []
        for name, value in self.defines:
            args += ["--define", f"{name} {value}"]
        for w in self.with_:
            args += ["--with", w]
        for w in self.without:
            args += ["--without", w]
        return args

    def macro_file(self) -> str:
        """The content of the build's ~/.rpmmacros."""
        return DEBUGINFO_MACROS if self.debuginfo else ""

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.defines if n == name), None)


def family_macros(family: str, major: int, minor: int) -> list[tuple[str, str]]:
    if family == "el":
        return [("rhel", str(major)), (f"el{major}", "1")]
    if family == "fedora":
        return [("fedora", str(major)), (f"fc{major}", "1")]
    if family == "suse":
        sle = str(major * 10000 + minor * 100)
        return [("suse_version", str(major * 100)), ("sle_version", sle)]
    return []


def project_macros(
    project: ProjectFile, package: str | None = None, *, debuginfo: bool | None = None
) -> MacroSet:
    """The macro set of `project`'s builds of `package` (its with/without switches applied)."""
    defines: list[tuple[str, str]] = list(HOST_MACROS)
    if project.dist:
        dist = project.dist if project.dist.startswith(".") else f".{project.dist}"
        defines.append(("dist", dist))
    v = project.vendor
    defines += family_macros(v.family, v.major, v.minor)
    m = project.macros
    for name, value in (("vendor", m.vendor), ("packager", m.packager)):
        if value:
            defines.append((name, value))
    if m.distribution:
        defines.append(("distribution", m.distribution))
    defines += sorted(m.extra.items())
    entry = project.package(package) if package else None
    return MacroSet(
        defines=tuple(defines),
        with_=tuple(entry.with_) if entry else (),
        without=tuple(entry.without) if entry else (),
        debuginfo=v.family != "generic" if debuginfo is None else debuginfo,
    )
