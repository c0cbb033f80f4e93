"""Stream expansion (MBS `generate_expanded_mmds`): each `dependencies` entry of a module
source expands into one context per combination of the streams it buildrequires.

A buildrequired module's streams are those listed, or every active stream when the list is
empty, less the `-stream` exclusions. `platform` is the project's own base module: its virtual
stream (`el9`) resolves to the real one (`el9.4.0`). A runtime requirement on a module that is
also buildrequired with the same stream list is narrowed to the stream built against; other
requirements stay as written. Variants with a declared context (v3, static_context) must name
one stream per buildrequired module and keep that context."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from olivine.errors import NotFound, ValidationFailed
from olivine.modules.model import Dependency, Expanded, ModuleSource, Platform
from olivine.modules.nsvc import PLATFORM

# Active streams of every module the project can build against: its own published modules and
# its external repositories' modules. `platform` is added from the project.
Catalog = Mapping[str, tuple[str, ...]]


def resolve_streams(
    module: str, name: str, wanted: tuple[str, ...], catalog: Catalog, platform: Platform
) -> list[str]:
    if name == PLATFORM:
        known: tuple[str, ...] = (platform.stream,)
        wanted = tuple(platform.stream if s == platform.virtual else s for s in wanted)
        wanted = tuple("-" + platform.stream if s == "-" + platform.virtual else s for s in wanted)
    elif name in catalog:
        known = catalog[name]
    else:
        raise NotFound(
            f"module {module} depends on module {name}, which neither the project nor its "
            "external repositories have"
        )
    excluded = {s[1:] for s in wanted if s.startswith("-")}
    listed = [s for s in wanted if not s.startswith("-")]
    for s in listed:
        if s not in known:
            raise NotFound(
                f"module {module} depends on {name}:{s}, an unknown stream "
                f"(known: {', '.join(known) or 'none'})"
            )
    chosen = [s for s in (listed or sorted(known)) if s not in excluded]
    if not chosen:
        raise ValidationFailed(f"module {module}: no stream of {name} is left to build against")
    return chosen


def _requires(
    dep: Dependency, combo: Mapping[str, str], resolved: Mapping[str, list[str]]
) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, streams in dep.requires.items():
        if name in combo and set(streams) == set(resolved[name]):
            out[name] = (combo[name],)
        else:
            out[name] = tuple(streams)
    return out


def _declared(dep: Dependency, name: str, platform: Platform) -> list[str]:
    streams = list(dep.buildrequires[name])
    if name == PLATFORM:
        return [platform.stream if s == platform.virtual else s for s in streams]
    return streams


def expand(source: ModuleSource, catalog: Catalog, platform: Platform) -> list[Expanded]:
    """Every context to build, in a stable order (variant, dependencies entry, combination)."""
    module = f"{source.name}:{source.stream}"
    out: list[Expanded] = []
    for i, variant in enumerate(source.variants):
        deps = variant.dependencies or (Dependency(),)
        for dep in deps:
            names = sorted(dep.buildrequires)
            choices = {
                n: resolve_streams(module, n, dep.buildrequires[n], catalog, platform)
                for n in names
            }
            declared = {n: _declared(dep, n, platform) for n in names}
            combos = [
                dict(zip(names, c, strict=True)) for c in itertools.product(*choices.values())
            ]
            if variant.context and len(combos) > 1:
                raise ValidationFailed(
                    f"module {module}: context {variant.context} is declared, so each of its "
                    "buildrequires must name exactly one stream"
                )
            for combo in combos:
                out.append(Expanded(i, combo, _requires(dep, combo, declared), variant.context))
    return out
