"""What the host toolchain supplies to the rpmbuild backend (`buildroot.host_provides`), with
the Debian package and version that supplies it (dpkg-query), for the build-root record."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

# RPM names whose Debian package has another name. Names not listed are looked up as they are.
DEBIAN_NAMES = {
    "glibc": "libc6",
    "glibc-devel": "libc6-dev",
    "glibc-headers": "libc6-dev",
    "kernel-headers": "linux-libc-dev",
    "gcc-c++": "g++",
    "rpm-build": "rpm",
    "redhat-rpm-config": "rpm",
    "zlib-devel": "zlib1g-dev",
    "pkgconfig": "pkgconf",
    "pkgconf-pkg-config": "pkgconf",
    "xz": "xz-utils",
    "binutils": "binutils",
    "util-linux": "util-linux",
    "which": "debianutils",
    "shadow-utils": "passwd",
    "elfutils": "elfutils",
}


@dataclass(frozen=True)
class HostPackage:
    capability: str
    debian_package: str
    version: str | None  # None: not installed on this host

    def record(self) -> dict[str, str | None]:
        return {
            "kind": "host",
            "name": self.capability,
            "host_package": self.debian_package,
            "version": self.version,
        }


@functools.lru_cache(maxsize=64)
def _dpkg_versions(packages: tuple[str, ...]) -> dict[str, str]:
    if not packages:
        return {}
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Version} ${db:Status-Status}\n", *packages],
        capture_output=True,
        text=True,
    )
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "installed":
            out[parts[0].split(":")[0]] = parts[1]
    return out


def host_packages(capabilities: Iterable[str]) -> list[HostPackage]:
    caps = list(dict.fromkeys(capabilities))
    debs = {c: DEBIAN_NAMES.get(c, c) for c in caps}
    versions = _dpkg_versions(tuple(sorted(set(debs.values()))))
    return [HostPackage(c, debs[c], versions.get(debs[c])) for c in caps]
