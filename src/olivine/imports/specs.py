"""Evaluate a spec file as `rpmbuild -bs` would name its SRPM: rpm's own parser with the
project's dist and macros defined, run in the build sandbox (sandboxed/runner.py). The worker
never hands a spec to rpm: parsing one runs its `%(...)` shell and `%{lua:...}` code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from olivine.domain.nevra import NEVR
from olivine.imports.errors import SpecError
from olivine.imports.sandboxed.runner import run_step

EVAL_TIME_LIMIT = 120.0
FIELD_LIMIT = 255  # characters of a name, version or release (the database's columns)


@dataclass(frozen=True)
class SpecSource:
    number: int
    filename: str  # the basename rpmbuild looks for in SOURCES
    is_patch: bool


@dataclass(frozen=True)
class ArchTags:
    """The spec's ExclusiveArch, ExcludeArch and BuildArch, as the SRPM's header lists them."""

    exclusive_arch: tuple[str, ...] = ()
    exclude_arch: tuple[str, ...] = ()
    build_archs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecInfo:
    nevr: NEVR
    sources: tuple[SpecSource, ...]
    build_requires: tuple[str, ...] = ()  # as the SRPM's header will list them
    provides: tuple[str, ...] = ()  # of its binary packages, as `rpmspec -q --provides`
    arch_tags: ArchTags | None = None  # None: evaluated by a sandbox that did not tell them

    def source(self, number: int) -> SpecSource | None:
        return next((s for s in self.sources if not s.is_patch and s.number == number), None)


def defines_digest(defines: Sequence[tuple[str, str]]) -> str:
    """Which macros a spec was evaluated with (spec facts hold only for the same ones)."""
    return hashlib.sha256(json.dumps([list(d) for d in defines]).encode()).hexdigest()


def spec_facts(info: SpecInfo, defines: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """What an import records of the spec for a build batch's order (ImportRevision)."""
    return {
        "defines": defines_digest(defines),
        "build_requires": list(info.build_requires),
        "provides": list(info.provides),
        **({"arch_tags": asdict(info.arch_tags)} if info.arch_tags is not None else {}),
    }


def rpm_defines(
    defines: Sequence[tuple[str, str]], with_: Sequence[str] = (), without: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """`--define`, `--with` and `--without` as the macro pairs rpmbuild makes of them."""
    out = list(defines)
    out += [(f"_with_{w}", f"--with-{w}") for w in with_]
    out += [(f"_without_{w}", f"--without-{w}") for w in without]
    return out


def evaluate(
    spec: Path, defines: Sequence[tuple[str, str]], sourcedir: Path | None = None
) -> SpecInfo:
    """Parse `spec` with `defines` in the sandbox, a copy of its SPECS/ and SOURCES/ (or
    `sourcedir`) at hand; SpecError carries rpm's own message (with the line)."""
    if not spec.is_file() or spec.is_symlink():
        raise SpecError(f"spec file {spec.name} does not exist")
    src = sourcedir or spec.parent.parent / "SOURCES"
    copies = {"SPECS": spec.parent}
    if src.is_dir() and src != spec.parent:
        copies["SOURCES"] = src
    req = {
        "spec": f"SPECS/{spec.name}",
        "defines": [list(d) for d in defines],
        "sourcedir": "SOURCES" if "SOURCES" in copies else "SPECS",
    }
    ans, _ = run_step(
        "evaluate", req, copies, what=f"spec file {spec.name}", time_limit=EVAL_TIME_LIMIT
    )
    if "error" in ans:
        raise SpecError(str(ans["error"]))
    try:
        nevr = NEVR(str(ans["name"]), int(ans["epoch"]), str(ans["version"]), str(ans["release"]))
        srcs = tuple(SpecSource(int(n), str(f), bool(p)) for n, f, p in ans["sources"])
        brs = tuple(str(d) for d in ans.get("build_requires", ()))
        provides = tuple(str(d) for d in ans.get("provides", ()))
        arch_tags = _arch_tags(ans.get("arch_tags"))
    except (KeyError, TypeError, ValueError):
        raise SpecError(f"spec file {spec.name}: the sandbox gave no usable answer") from None
    for label, value in (("Name", nevr.name), ("Version", nevr.version), ("Release", nevr.release)):
        if not value or len(value) > FIELD_LIMIT:
            raise SpecError(f"spec file {spec.name}: {label} is empty or over {FIELD_LIMIT} chars")
    srcs = tuple(sorted(srcs, key=lambda s: (s.is_patch, s.number)))
    return SpecInfo(nevr, srcs, brs, provides, arch_tags)


def _arch_tags(tags: Any) -> ArchTags | None:
    if tags is None:
        return None
    return ArchTags(*(tuple(str(a) for a in tags[k]) for k in ArchTags.__dataclass_fields__))


def choose_spec(specs: Sequence[Path], name: str, where: str = "SPECS/") -> Path:
    """The package's spec among `specs`: `<name>.spec`, or the only one. The one rule of the
    import and the build (a tree the import took, the build takes the same spec of)."""
    for s in specs:
        if s.name == f"{name}.spec":
            return s
    if len(specs) == 1:
        return specs[0]
    found = ", ".join(s.name for s in specs) or "none"
    raise SpecError(f"{where}{name}.spec not found in the imported tree (specs found: {found})")


def find_spec(tree: Path, name: str) -> Path:
    """The package's spec under SPECS/ (choose_spec)."""
    return choose_spec(sorted((tree / "SPECS").glob("*.spec")), name)
