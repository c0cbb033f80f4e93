"""What a build needs from an RPM header, read with rpm's Python bindings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rpm

from olivine.errors import ValidationFailed

_RPMLIB = "rpmlib("


@dataclass(frozen=True)
class SrpmInfo:
    name: str
    epoch: int | None
    version: str
    release: str
    build_requires: tuple[str, ...]  # "foo-devel >= 1.2" (rpmlib() requirements left out)
    exclusive_arch: tuple[str, ...]
    exclude_arch: tuple[str, ...]
    build_archs: tuple[str, ...]

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


@dataclass(frozen=True)
class RpmInfo:
    path: Path
    name: str
    epoch: int | None
    version: str
    release: str
    arch: str
    sourcerpm: str
    requires: tuple[str, ...]
    provides: tuple[str, ...]

    @property
    def nevra(self) -> str:
        e = f"{self.epoch}:" if self.epoch else ""
        return f"{self.name}-{e}{self.version}-{self.release}.{self.arch}"


def read_header(path: Path) -> rpm.hdr:
    ts = rpm.TransactionSet()
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    try:
        with path.open("rb") as f:
            return ts.hdrFromFdno(f.fileno())
    except (rpm.error, OSError) as e:
        raise ValidationFailed(f"{path.name}: not a readable RPM ({e})") from e


def _s(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _strs(h: rpm.hdr, tag: int) -> tuple[str, ...]:
    return tuple(_s(x) for x in (h[tag] or []))


def _deps(h: rpm.hdr, kind: str) -> tuple[str, ...]:
    out: list[str] = []
    for d in rpm.ds(h, kind):
        text = _s(d.DNEVR())[2:]  # "R foo >= 1" -> "foo >= 1"
        if not text.startswith(_RPMLIB):
            out.append(text)
    return tuple(out)


def srpm_info(path: Path) -> SrpmInfo:
    h = read_header(path)
    if not h.isSource():
        raise ValidationFailed(f"{path.name} is a binary RPM, not a source RPM")
    return SrpmInfo(
        name=_s(h[rpm.RPMTAG_NAME]),
        epoch=h[rpm.RPMTAG_EPOCH],
        version=_s(h[rpm.RPMTAG_VERSION]),
        release=_s(h[rpm.RPMTAG_RELEASE]),
        build_requires=_deps(h, "requirename"),
        exclusive_arch=_strs(h, rpm.RPMTAG_EXCLUSIVEARCH),
        exclude_arch=_strs(h, rpm.RPMTAG_EXCLUDEARCH),
        build_archs=_strs(h, rpm.RPMTAG_BUILDARCHS),
    )


def rpm_info(path: Path) -> RpmInfo:
    h = read_header(path)
    return RpmInfo(
        path=path,
        name=_s(h[rpm.RPMTAG_NAME]),
        epoch=h[rpm.RPMTAG_EPOCH],
        version=_s(h[rpm.RPMTAG_VERSION]),
        release=_s(h[rpm.RPMTAG_RELEASE]),
        arch=_s(h[rpm.RPMTAG_ARCH]),
        sourcerpm=_s(h[rpm.RPMTAG_SOURCERPM] or ""),
        requires=_deps(h, "requirename"),
        provides=_deps(h, "providename"),
    )
