"""Arch planning: which arch builds a package gets, and which task queue serves each.

Rules (issue 5, DESIGN.md): arches = project arches (narrowed by the package entry) ∩
ExclusiveArch - ExcludeArch; a package whose main BuildArch is noarch builds once, as noarch.
x86_64 workers also serve i686 and noarch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from olivine.errors import ValidationFailed

NOARCH = "noarch"
QUEUE_PREFIX = "olivine-build-"

# Arches a worker of the key arch can build besides its own (multilib/compat hosts).
SERVED_BY = {"x86_64": ("i686", NOARCH), "aarch64": (), "ppc64le": (), "s390x": ()}

# The arch names rpm's %{ix86} and %{arm} macros expand to, so that ExclusiveArch written with
# them (as EL specs do) matches the project arch names.
_ALIASES = {
    "i686": {"i386", "i486", "i586", "i686", "pentium3", "pentium4", "athlon", "geode"},
    "armv7hl": {"armv7hl", "armv7hnl", "armv7l"},
}


@dataclass(frozen=True)
class ArchPlan:
    """The arch builds of one package: `arches` are rpmbuild --target values."""

    arches: tuple[str, ...]
    noarch: bool = False
    excluded: dict[str, str] = field(default_factory=dict)  # project arch -> why not built

    def queues(self) -> dict[str, str]:
        return {a: queue_for(a) for a in self.arches}


def queue_for(arch: str) -> str:
    """The Temporal task queue of an arch build."""
    return f"{QUEUE_PREFIX}{arch}"


def worker_queues(worker_arch: str) -> list[str]:
    """The build queues a worker of `worker_arch` listens on."""
    return [queue_for(a) for a in (worker_arch, *SERVED_BY.get(worker_arch, ()))]


def _matches(arch: str, listed: Iterable[str]) -> bool:
    names = _ALIASES.get(arch, {arch})
    return any(a in names for a in listed)


def plan_arches(
    project_arches: Sequence[str],
    *,
    exclusive: Sequence[str] = (),
    exclude: Sequence[str] = (),
    build_archs: Sequence[str] = (),
    package_arches: Sequence[str] | None = None,
    package: str = "package",
) -> ArchPlan:
    """Plan the arch builds of a package from its SRPM header tags and the project's arches.

    `build_archs` is the SRPM's BuildArchs tag (["noarch"] for a noarch main package)."""
    allowed = list(project_arches)
    excluded: dict[str, str] = {}
    if package_arches is not None:
        for a in allowed:
            if a not in package_arches:
                excluded[a] = "not in the package's arches of the project file"
        allowed = [a for a in allowed if a in package_arches]
    if NOARCH in build_archs:
        return _plan_noarch(allowed, exclusive, exclude, excluded, package, project_arches)
    arches: list[str] = []
    for a in allowed:
        if exclusive and not _matches(a, exclusive):
            excluded[a] = f"ExclusiveArch: {' '.join(exclusive)}"
        elif _matches(a, exclude):
            excluded[a] = f"ExcludeArch: {' '.join(exclude)}"
        else:
            arches.append(a)
    if not arches:
        raise ValidationFailed(_nothing(package, project_arches, excluded))
    return ArchPlan(tuple(arches), noarch=False, excluded=excluded)


def _plan_noarch(
    allowed: list[str],
    exclusive: Sequence[str],
    exclude: Sequence[str],
    excluded: dict[str, str],
    package: str,
    project_arches: Sequence[str],
) -> ArchPlan:
    # Koji builds a noarch package once; ExclusiveArch/ExcludeArch only decide whether any
    # project arch may host the build (ExclusiveArch: noarch allows every arch).
    hosts = [
        a
        for a in allowed
        if (not exclusive or _matches(a, exclusive) or NOARCH in exclusive)
        and not _matches(a, exclude)
    ]
    if not hosts:
        for a in allowed:
            excluded.setdefault(a, "ExclusiveArch/ExcludeArch of a noarch package")
        raise ValidationFailed(_nothing(package, project_arches, excluded))
    for a in allowed:
        excluded.setdefault(a, "noarch: built once")
    return ArchPlan((NOARCH,), noarch=True, excluded=excluded)


def _nothing(package: str, project_arches: Sequence[str], excluded: dict[str, str]) -> str:
    why = "; ".join(f"{a}: {r}" for a, r in excluded.items()) or "no project arches"
    return f"{package} builds for none of the project's arches ({', '.join(project_arches)}): {why}"
