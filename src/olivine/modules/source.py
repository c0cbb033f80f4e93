"""Read a module source: a modulemd v2 packager or stream document, or a v3 packager document
(converted by libmodulemd to one stream per declared context), checked and turned into plain
types. Runs in the worker only: this is upstream content."""

from __future__ import annotations

from typing import Any

from olivine.errors import ValidationFailed
from olivine.modules.libmodulemd import glib_error, modulemd
from olivine.modules.model import Component, Dependency, ModuleSource, Streams, Variant
from olivine.modules.shape import check_shape, scalar


def read_source(text: str, name: str | None = None, stream: str | None = None) -> ModuleSource:
    """The module source of `text`; `name`/`stream` (the package and its branch's stream) are
    used where the document leaves them out, as MBS does with the SCM's."""
    _doc, _ver, data = check_shape(text)
    name = scalar(data, "name") or name
    stream = scalar(data, "stream") or stream
    if not name or not stream:
        raise ValidationFailed("invalid modulemd: data.name/data.stream are missing")
    md = modulemd()
    try:
        parsed = md.read_packager_string(text, name, stream)
    except glib_error() as e:
        raise ValidationFailed(f"invalid modulemd: {e.message}") from None  # type: ignore[attr-defined]
    streams = _streams(md, parsed)
    for s in streams:
        _validate(s)
    return _source(name, stream, streams)


def _streams(md: Any, parsed: Any) -> list[Any]:
    if isinstance(parsed, md.PackagerV3):
        index = parsed.convert_to_index()
        streams = list(index.get_module(parsed.get_module_name()).get_all_streams())
        for s in streams:  # v3 contexts are declared: libmodulemd 2.14 does not mark them
            s.set_static_context()
        return streams
    return [parsed]


def _validate(s: Any) -> None:
    try:
        s.validate()
    except glib_error() as e:
        raise ValidationFailed(f"invalid modulemd: {e.message}") from None  # type: ignore[attr-defined]


def _source(name: str, stream: str, streams: list[Any]) -> ModuleSource:
    first = streams[0]
    buildopts = first.get_buildopts()
    return ModuleSource(
        name=name,
        stream=stream,
        summary=first.get_summary(None) or "",
        description=first.get_description(None) or "",
        module_licenses=tuple(first.get_module_licenses()),
        components=tuple(_component(first, c) for c in sorted(first.get_rpm_component_names())),
        variants=tuple(_variant(s) for s in streams),
        rpm_macros=(buildopts.get_rpm_macros() or "") if buildopts else "",
        whitelist=tuple(buildopts.get_rpm_whitelist()) if buildopts else (),
        arches=tuple(buildopts.get_arches()) if buildopts else (),
        filter_rpms=tuple(first.get_rpm_filters()),
    )


def _component(s: Any, name: str) -> Component:
    c = s.get_rpm_component(name)
    return Component(
        name=name,
        rationale=c.get_rationale() or "",
        ref=c.get_ref(),
        buildorder=c.get_buildorder(),
        buildafter=tuple(c.get_buildafter()),
        arches=tuple(c.get_arches()),
        multilib=tuple(c.get_multilib_arches()),
    )


def _deps(d: Any, kind: str) -> Streams:
    return {
        m: tuple(getattr(d, f"get_{kind}_streams")(m)) for m in getattr(d, f"get_{kind}_modules")()
    }


def _variant(s: Any) -> Variant:
    deps = tuple(
        Dependency(buildrequires=_deps(d, "buildtime"), requires=_deps(d, "runtime"))
        for d in s.get_dependencies()
    )
    static = s.is_static_context() and s.get_context()
    buildopts = s.get_buildopts()
    macros = (buildopts.get_rpm_macros() or "") if buildopts else ""
    return Variant(deps, s.get_context() if static else None, dump(s), macros)


def dump(s: Any) -> str:
    """A stream as a modulemd v2 document (libmodulemd's writer)."""
    index = modulemd().ModuleIndex.new()
    index.add_module_stream(s)
    return str(index.dump_to_string())
