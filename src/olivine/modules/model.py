"""Plain types of a module source and of its planned builds, passed between the layers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# A module's dependency on other modules: name -> streams ("-s" excludes s; () = every stream).
Streams = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Component:
    """An rpm component of a module: a package of the project built inside the module."""

    name: str
    rationale: str
    ref: str | None = None  # the forge commit the import pinned
    buildorder: int = 0
    buildafter: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()  # () = every arch of the module
    multilib: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dependency:
    """One `dependencies` entry: a buildrequires/requires pair (each expands on its own)."""

    buildrequires: Streams = field(default_factory=dict)
    requires: Streams = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    """A stream document of the source: a v2 document is one variant; a v3 packager document
    converts to one variant per declared context (`context` set, static)."""

    dependencies: tuple[Dependency, ...]
    context: str | None = None  # declared (static_context or v3): used as is
    yaml: str = ""  # the variant as a modulemd v2 stream document (libmodulemd's dump)
    rpm_macros: str = ""  # buildopts.rpms.macros of this variant (v3: of its configuration)


@dataclass(frozen=True)
class ModuleSource:
    name: str
    stream: str
    summary: str
    description: str
    module_licenses: tuple[str, ...]
    components: tuple[Component, ...]
    variants: tuple[Variant, ...]
    rpm_macros: str = ""
    whitelist: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()  # buildopts.arches: () = every arch of the project
    filter_rpms: tuple[str, ...] = ()

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


@dataclass(frozen=True)
class Platform:
    """The project's base module: stream `el9.4.0` with virtual stream `el9` (as MBS's
    platform module), from the project's vendor family and release."""

    stream: str
    virtual: str

    @property
    def marking(self) -> str:
        """The dist tag marking: MBS's `disttag_marking`, or the stream."""
        return self.stream


@dataclass(frozen=True)
class Expanded:
    """One context of a module build: the buildrequires streams it is built against and the
    runtime requires it carries (MBS's expanded modulemd)."""

    variant: int  # index into ModuleSource.variants
    buildrequires: Mapping[str, str]
    requires: Streams
    declared_context: str | None = None


@dataclass(frozen=True)
class NSVC:
    name: str
    stream: str
    version: int
    context: str

    def __str__(self) -> str:
        return f"{self.name}:{self.stream}:{self.version}:{self.context}"
