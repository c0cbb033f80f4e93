"""Multilib selection as pungi does it (pungi/multilib_yum.py, methods `runtime` and `devel`).

A 64-bit repo (x86_64) also carries some packages of its 32-bit compat arch (i686): those with
shared libraries or plugins in library directories (`runtime`) and development packages
(`devel`). The patterns below are pungi's default `runtime-patterns.conf` (the common entries),
written here as data because pungi is not a library one can install on this machine.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

COMPAT_ARCHES: dict[str, tuple[str, ...]] = {
    "x86_64": ("i686",),
    "ppc64": ("ppc",),
    "s390x": ("s390",),
}

LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")

# (directory under a lib dir, file glob or "-" for any file in it); from pungi's defaults
RUNTIME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("", "*.so.*"),
    ("alsa-lib", "-"),
    ("dri", "-"),
    ("gconv", "-"),
    ("gtk-2.0/*", "-"),
    ("gtk-3.0/*", "-"),
    ("gio/modules", "-"),
    ("krb5/plugins/*", "-"),
    ("pango/*", "-"),
    ("pkcs11", "-"),
    ("sasl2", "-"),
    ("security", "*.so"),
    ("gstreamer-1.0", "-"),
    ("qt5/plugins/*", "-"),
    ("tls", "-"),
    ("samba/ldb", "-"),
    ("pipewire-0.3", "-"),
    ("libdbusmenu-*", "-"),
    ("vdpau", "-"),
    ("", "ld-linux.so.2"),
    ("", "libnss_*.so*"),
)
RUNTIME_WHITELIST = frozenset({"libgnat", "wine", "lmms-libs", "valgrind", "openssl-ibmca"})
RUNTIME_BLACKLIST = frozenset({"tomcat-native"})
DEVEL_BLACKLIST = frozenset(
    {
        "dmraid-devel",
        "kdeutils-devel",
        "mkinitrd-devel",
        "php-devel",
        "java-11-openjdk-devel",
        "java-17-openjdk-devel",
        "java-1.8.0-openjdk-devel",
    }
)
DEVEL_WHITELIST = frozenset({"perl-devel", "libgcc", "libstdc++-devel"})

_SONAME = re.compile(r"^(.+\.so\.[A-Za-z0-9_.]+).*$")


@dataclass(frozen=True)
class MultilibFacts:
    runtime: bool
    devel: bool


def _is_kernel(provides: Iterable[str]) -> bool:
    return any(p == "kernel" for p in provides)


def is_debug_name(name: str) -> bool:
    return name.endswith(("-debuginfo", "-debugsource")) or "-debuginfo-" in name


def _skipped(name: str, arch: str) -> bool:
    return arch in ("noarch", "src", "nosrc") or is_debug_name(name)


def _match_lib_path(path: str, sonames: set[str]) -> bool:
    dirname, _, filename = path.rpartition("/")
    dirname = dirname.rstrip("/")
    roots = [d for d in LIB_DIRS if dirname == d or dirname.startswith(d + "/")]
    for root in roots:
        sub = dirname[len(root) :].lstrip("/")
        for dir_glob, file_glob in RUNTIME_PATTERNS:
            if not (sub == dir_glob if "*" not in dir_glob else fnmatch.fnmatchcase(sub, dir_glob)):
                continue
            if file_glob == "-":
                return True
            if fnmatch.fnmatchcase(filename, file_glob):
                # a versioned library counts only when the header provides its soname
                # (private libraries are not exposed in Provides), as pungi decides
                return ".so.*" not in file_glob or filename in sonames
    return False


def runtime_selects(name: str, arch: str, files: Iterable[str], provides: Iterable[str]) -> bool:
    """pungi's `runtime` method: shared libraries and plugins in library directories."""
    provides = list(provides)
    if _skipped(name, arch) or name in RUNTIME_BLACKLIST:
        return False
    if name in RUNTIME_WHITELIST:
        return True
    if _is_kernel(provides):
        return False
    sonames = {m.group(1) for p in provides if (m := _SONAME.match(p))}
    return any(_match_lib_path(path, sonames) for path in files)


def devel_selects(name: str, arch: str, provides: Iterable[str]) -> bool:
    """pungi's `devel` method: -devel and -static packages (or providing such names)."""
    provides = list(provides)
    if _skipped(name, arch) or name in DEVEL_BLACKLIST:
        return False
    if name in DEVEL_WHITELIST:
        return True
    if "kernel-devel" in provides or name.startswith("ghc-"):
        return False
    if name.endswith(("-devel", "-static")):
        return True
    return any(p.endswith(("-devel", "-static")) for p in provides)


def facts(name: str, arch: str, files: Iterable[str], provides: Iterable[str]) -> MultilibFacts:
    provides = list(provides)
    return MultilibFacts(
        runtime=runtime_selects(name, arch, files, provides),
        devel=devel_selects(name, arch, provides),
    )
