"""Evaluate a spec file as `rpmbuild -bs` would name its SRPM: rpm's own parser (the `rpm`
bindings' `rpm.spec`) with the project's dist and macros defined.

rpm's macro table and log sink are process globals: every evaluation holds one lock, pushes its
macros, and pops them again, so concurrent imports in one worker do not see each other's."""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rpm

from olivine.domain.nevra import NEVR
from olivine.imports.errors import SpecError

RPM_LOCK = threading.RLock()  # rpm macros and log sink are process-global
SOURCE, PATCH = 1, 2


@dataclass(frozen=True)
class SpecSource:
    number: int
    filename: str  # the basename rpmbuild looks for in SOURCES
    is_patch: bool


@dataclass(frozen=True)
class SpecInfo:
    nevr: NEVR
    sources: tuple[SpecSource, ...]

    def source(self, number: int) -> SpecSource | None:
        return next((s for s in self.sources if not s.is_patch and s.number == number), None)


def rpm_defines(
    defines: Sequence[tuple[str, str]], with_: Sequence[str] = (), without: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """`--define`, `--with` and `--without` as the macro pairs rpmbuild makes of them."""
    out = list(defines)
    out += [(f"_with_{w}", f"--with-{w}") for w in with_]
    out += [(f"_without_{w}", f"--without-{w}") for w in without]
    return out


def reset_macros() -> None:
    """Drop what a parsed spec defined (%global, %define stay in rpm's global macro context and
    would leak into the next spec) by reloading rpm's configuration. Call with RPM_LOCK held."""
    rpm.reloadConfig()


@contextmanager
def _macros(defines: Sequence[tuple[str, str]]) -> Iterator[None]:
    for name, value in defines:
        rpm.addMacro(name, value)
    try:
        yield
    finally:
        for name, _ in reversed(defines):
            rpm.delMacro(name)


def evaluate(
    spec: Path, defines: Sequence[tuple[str, str]], sourcedir: Path | None = None
) -> SpecInfo:
    """Parse `spec` with `defines`; SpecError carries rpm's own message (with the line)."""
    if not spec.is_file():
        raise SpecError(f"spec file {spec.name} does not exist")
    allm = [*defines, ("_sourcedir", str(sourcedir or spec.parent)), ("_specdir", str(spec.parent))]
    with RPM_LOCK, tempfile.TemporaryFile("w+") as log:
        rpm.setLogFile(log)
        try:
            with _macros(allm):
                parsed = rpm.spec(str(spec))
                hdr = parsed.sourceHeader
                srcs = tuple(
                    SpecSource(num, name.rsplit("/", 1)[-1], bool(flags & PATCH))
                    for name, num, flags in parsed.sources
                )
        except ValueError:
            log.seek(0)
            errors = [ln for ln in log.read().splitlines() if ln.startswith("error")]
            detail = "; ".join(errors) or "rpm could not parse it"
            raise SpecError(f"spec file {spec.name} does not parse: {detail}") from None
        finally:
            rpm.setLogFile(sys.stderr)
            reset_macros()
    nevr = NEVR(
        _text(hdr["name"]), int(hdr["epoch"] or 0), _text(hdr["version"]), _text(hdr["release"])
    )
    return SpecInfo(nevr, tuple(sorted(srcs, key=lambda s: (s.is_patch, s.number))))


def _text(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def find_spec(tree: Path, name: str) -> Path:
    """The package's spec under SPECS/: `<name>.spec`, or the only spec there."""
    specs = sorted((tree / "SPECS").glob("*.spec"))
    for s in specs:
        if s.name == f"{name}.spec":
            return s
    if len(specs) == 1:
        return specs[0]
    found = ", ".join(s.name for s in specs) or "none"
    raise SpecError(f"SPECS/{name}.spec not found in the imported tree (specs found: {found})")
