"""NEVRA parsing and RPM version comparison (rpm's own rpmvercmp through its bindings)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import rpm

from olivine.errors import ValidationFailed


def vercmp(a: tuple[int | str, str, str], b: tuple[int | str, str, str]) -> int:
    """Compare (epoch, version, release) tuples as rpm does: -1, 0 or 1."""
    return int(rpm.labelCompare((str(a[0]), a[1], a[2]), (str(b[0]), b[1], b[2])))


@dataclass(frozen=True, order=False)
class NEVR:
    name: str
    epoch: int
    version: str
    release: str

    @property
    def evr(self) -> tuple[int, str, str]:
        return (self.epoch, self.version, self.release)

    def __str__(self) -> str:
        e = f"{self.epoch}:" if self.epoch else ""
        return f"{self.name}-{e}{self.version}-{self.release}"

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


@dataclass(frozen=True)
class NEVRA(NEVR):
    arch: str = "noarch"

    def __str__(self) -> str:
        return f"{NEVR.__str__(self)}.{self.arch}"

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.{self.arch}.rpm"


_NVR = re.compile(r"^(?P<n>.+)-(?:(?P<e>\d+):)?(?P<v>[^-:]+)-(?P<r>[^-:]+)$")


def parse_nvr(text: str) -> NEVR:
    """`name-[epoch:]version-release` (as in import tags); ValidationFailed otherwise."""
    m = _NVR.match(text)
    if not m:
        raise ValidationFailed(f"not a name-version-release: {text!r}")
    return NEVR(m["n"], int(m["e"] or 0), m["v"], m["r"])


def parse_nevra(text: str) -> NEVRA:
    """`name-[epoch:]version-release.arch` or an RPM file name."""
    base = text.removesuffix(".rpm")
    head, dot, arch = base.rpartition(".")
    if not dot:
        raise ValidationFailed(f"not a name-version-release.arch: {text!r}")
    nevr = parse_nvr(head)
    return NEVRA(nevr.name, nevr.epoch, nevr.version, nevr.release, arch)


def newest_first(evrs: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    return sorted(evrs, key=functools.cmp_to_key(vercmp), reverse=True)
