"""The published module metadata: the final modulemd of one context on one arch (artifacts,
licenses, resolved dependencies, xmd), its `-devel` companion carrying what the filters dropped,
and the `modulemd-defaults` / `modulemd-obsoletes` documents of the project file. Written with
libmodulemd and checked by reading the result back in strict mode."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from olivine.errors import ValidationFailed
from olivine.modules.libmodulemd import glib_error, modulemd
from olivine.modules.model import ModuleSource
from olivine.modules.plan import PlannedContext

MULTILIB_OF = {"x86_64": "i686", "aarch64": "armv7hl", "ppc64le": "ppc", "s390x": "s390"}


@dataclass(frozen=True)
class BuiltRpm:
    name: str
    epoch: int
    version: str
    release: str
    arch: str
    source_name: str
    license: str = ""

    @property
    def nevra(self) -> str:
        return f"{self.name}-{self.epoch}:{self.version}-{self.release}.{self.arch}"


@dataclass(frozen=True)
class ComponentResult:
    name: str
    commit: str
    build_id: int
    rpms: tuple[BuiltRpm, ...] = ()


@dataclass(frozen=True)
class ArchDocuments:
    arch: str
    module: str  # modulemd v2 YAML of the context on this arch
    devel: str | None  # the -devel stream, when the filters dropped something
    artifacts: tuple[str, ...]
    devel_artifacts: tuple[str, ...]


@dataclass(frozen=True)
class DefaultSpec:
    name: str
    stream: str
    profiles: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ObsoleteSpec:
    name: str
    stream: str
    modified: int  # YYYYMMDDhhmm
    message: str
    eol_date: int | None = None
    obsoleted_by: tuple[str, str] | None = None  # (module, stream)
    reset: bool = False


def _on_arch(rpm: BuiltRpm, arch: str, multilib: bool) -> bool:
    return rpm.arch in (arch, "noarch", "src") or (multilib and rpm.arch == MULTILIB_OF.get(arch))


def split_artifacts(
    source: ModuleSource, arch: str, components: Iterable[ComponentResult]
) -> tuple[list[BuiltRpm], list[BuiltRpm]]:
    """(artifacts, dropped by the filters) on `arch`: a component's RPMs of that arch and
    noarch (and of its multilib arch when the component lists `arch` under multilib), if the
    component builds on `arch` and its SRPM name is a component's or is whitelisted."""
    allowed = set(source.whitelist) or {c.name for c in source.components}
    kept: list[BuiltRpm] = []
    dropped: list[BuiltRpm] = []
    by_name = {c.name: c for c in source.components}
    for result in components:
        comp = by_name.get(result.name)
        if comp is None or (comp.arches and arch not in comp.arches):
            continue
        for rpm in result.rpms:
            if rpm.source_name not in allowed or not _on_arch(rpm, arch, arch in comp.multilib):
                continue
            (dropped if rpm.name in source.filter_rpms else kept).append(rpm)
    return sorted(kept, key=lambda r: r.nevra), sorted(dropped, key=lambda r: r.nevra)


def _stream_of(yaml_text: str, name: str) -> Any:
    index = modulemd().ModuleIndex.new()
    index.update_from_string(yaml_text, True)
    return index.get_module(name).get_all_streams()[0]


def _dependencies(planned: PlannedContext) -> Any:
    d = modulemd().Dependencies()
    for name, stream in sorted(planned.expanded.buildrequires.items()):
        d.add_buildtime_stream(name, stream)
    for name, streams in sorted(planned.expanded.requires.items()):
        if not streams:
            d.set_empty_runtime_dependencies_for_module(name)
        for s in streams:
            d.add_runtime_stream(name, s)
    return d


def _xmd(planned: PlannedContext, source_commit: str, comps: Sequence[ComponentResult]) -> dict:
    brs = {n: {"stream": s} for n, s in sorted(planned.expanded.buildrequires.items())}
    return {
        "mbs": {
            "commit": source_commit,
            "buildrequires": brs,
            "rpms": {c.name: {"ref": c.commit} for c in comps},
        },
        "olivine": {
            "components": {c.name: {"commit": c.commit, "build": str(c.build_id)} for c in comps}
        },
    }


def _finish(s: Any, planned: PlannedContext, arch: str, rpms: list[BuiltRpm]) -> Any:
    s.set_version(planned.nsvc.version)
    s.set_context(planned.nsvc.context)
    s.set_arch(arch)
    s.clear_rpm_artifacts()
    for rpm in rpms:
        s.add_rpm_artifact(rpm.nevra)
    s.clear_content_licenses()
    for lic in sorted({r.license for r in rpms if r.license}):
        s.add_content_license(lic)
    return s


def arch_documents(
    source: ModuleSource,
    planned: PlannedContext,
    arch: str,
    components: Sequence[ComponentResult],
    source_commit: str,
) -> ArchDocuments | None:
    """The final documents of `planned` on `arch`; None when buildopts.arches leaves it out."""
    if source.arches and arch not in source.arches:
        return None
    kept, dropped = split_artifacts(source, arch, components)
    variant = source.variants[planned.expanded.variant]
    base = _stream_of(variant.yaml, source.name)
    base.clear_dependencies()
    base.add_dependencies(_dependencies(planned))
    base.set_xmd(_xmd(planned, source_commit, components))
    for c in components:
        if c.name in base.get_rpm_component_names():
            base.get_rpm_component(c.name).set_ref(c.commit)
    main = _finish(base.copy(source.name, source.stream), planned, arch, kept)
    devel_text = None
    if dropped:
        devel = _finish(base.copy(f"{source.name}-devel", source.stream), planned, arch, dropped)
        devel.clear_rpm_filters()
        devel.clear_profiles()
        devel.clear_rpm_api()
        devel_text = write([devel])
    return ArchDocuments(
        arch,
        write([main]),
        devel_text,
        tuple(r.nevra for r in kept),
        tuple(r.nevra for r in dropped),
    )


def _defaults(spec: DefaultSpec) -> Any:
    d = modulemd().DefaultsV1.new(spec.name)
    d.set_default_stream(spec.stream)
    for stream, profiles in sorted(spec.profiles.items()):
        for p in profiles:
            d.add_default_profile_for_stream(stream, p)
    return d


def _obsoletes(spec: ObsoleteSpec) -> Any:
    o = modulemd().Obsoletes.new(1, spec.modified, spec.name, spec.stream, spec.message)
    if spec.eol_date is not None:
        o.set_eol_date(spec.eol_date)
    if spec.obsoleted_by is not None:
        o.set_obsoleted_by(*spec.obsoleted_by)
    o.set_reset(spec.reset)
    return o


def write(
    streams: Iterable[Any] = (),
    defaults: Iterable[DefaultSpec] = (),
    obsoletes: Iterable[ObsoleteSpec] = (),
) -> str:
    index = modulemd().ModuleIndex.new()
    for s in streams:
        index.add_module_stream(s)
    for d in defaults:
        index.add_defaults(_defaults(d))
    for o in obsoletes:
        index.add_obsoletes(_obsoletes(o))
    text = str(index.dump_to_string())
    validate_strict(text)
    return text


def validate_strict(text: str) -> Any:
    """Read `text` back with libmodulemd in strict mode; refuse it on any failure."""
    index = modulemd().ModuleIndex.new()
    try:
        ok, failures = index.update_from_string(text, True)
    except glib_error() as e:
        raise ValidationFailed(f"modulemd does not validate: {e.message}") from None  # type: ignore[attr-defined]
    if not ok or failures:
        msgs = "; ".join(f.get_gerror().message for f in failures)
        raise ValidationFailed(f"modulemd does not validate: {msgs}")
    return index


def _read_into(index: Any, text: str, strict: bool, what: str) -> None:
    try:
        ok, failures = index.update_from_string(text, strict)
    except glib_error() as e:
        raise ValidationFailed(f"{what} does not read: {e.message}") from None  # type: ignore[attr-defined]
    if not ok or failures:  # never a document silently dropped from what is published
        msgs = "; ".join(f.get_gerror().message for f in failures) or "unreadable"
        raise ValidationFailed(f"{what} does not read: {msgs}")


def merge(
    texts: Iterable[str],
    defaults: Iterable[DefaultSpec] = (),
    obsoletes: Iterable[ObsoleteSpec] = (),
    given: Iterable[str] = (),
) -> str:
    """One modules.yaml from several documents (our own output, read strictly) plus defaults
    and obsoletes. `given`: a modules.yaml a repository was given, read first and leniently
    (as dnf reads one: fields libmodulemd does not know are left out of the result); a
    document of either that does not read is refused, naming the failure."""
    index = modulemd().ModuleIndex.new()
    for t in given:
        _read_into(index, t, False, "the modules.yaml the repository was given")
    for t in texts:
        _read_into(index, t, True, "modulemd")
    for d in defaults:
        index.add_defaults(_defaults(d))
    for o in obsoletes:
        index.add_obsoletes(_obsoletes(o))
    text = str(index.dump_to_string())
    validate_strict(text)
    return text
