"""The project file (DESIGN.md "The project file"): typed, strict, every key documented in
docs/project-file.md. Unknown keys and bad values are rejected; the loader adds file positions."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

NAME = r"^[a-z0-9][a-z0-9-]*$"
PKG_NAME = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
ARCHES = {"x86_64", "aarch64", "ppc64le", "s390x", "i686", "noarch", "riscv64", "armv7hl"}
BUILD_ARCHES = ARCHES - {"noarch"}
RESERVED_REPOS = {"all"}
# words of the CLI that sit where a project name goes (`olivine build list|show|download`)
RESERVED_PROJECTS = {"list", "show", "download"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Vendor(Strict):
    family: Literal["el", "fedora", "suse", "generic"] = "el"
    major: int = Field(9, ge=0)
    minor: int = Field(0, ge=0)


class Macros(Strict):
    vendor: str | None = None
    packager: str | None = None
    distribution: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)  # any other %macro: value


class Upstream(Strict):
    kind: Literal["dist-git", "dist-git-flat", "srpm", "src-git"] = "dist-git"
    url: str
    branch: str | None = None
    lookaside: str | None = None  # template: {name} {branch} {hash} {hashtype} {filename}

    @field_validator("url", "lookaside")
    @classmethod
    def _scheme(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(https?|file)://", v):
            raise ValueError("must be an https://, http:// or file:// URL template")
        return v


class UpstreamOverride(Strict):
    """A package's upstream: any key given replaces the project's."""

    kind: Literal["dist-git", "dist-git-flat", "srpm", "src-git"] | None = None
    url: str | None = None
    branch: str | None = None
    lookaside: str | None = None


class Patches(Strict):
    url: str  # template with {name}
    branch: str | None = None  # default: the target branch


class Target(Strict):
    branch: str = "main"


class BuildRoot(Strict):
    packages: list[str] = Field(default_factory=list)
    host_provides: list[str] = Field(default_factory=list)
    resolve: bool = True  # false: skip BuildRequires resolution (conformance runs)


def _size(v: Any) -> Any:
    from olivine.builds.units import parse_size

    return None if v is None else parse_size(v)


def _duration(v: Any) -> Any:
    from olivine.builds.units import parse_duration

    return None if v is None else parse_duration(v)


class BuildLimits(Strict):
    """Per-project build limits (docs/project-file.md "limits"); the operator's settings cap
    each of them (docs/settings.md)."""

    build_time: Annotated[float, BeforeValidator(_duration), Field(gt=0)] | None = None
    concurrent_builds: Annotated[int, Field(ge=1)] | None = None
    memory: Annotated[int, BeforeValidator(_size), Field(ge=64 << 20)] | None = None
    pids: Annotated[int, Field(ge=32)] | None = None
    disk: Annotated[int, BeforeValidator(_size), Field(ge=64 << 20)] | None = None


class ExternalRepo(Strict):
    name: Annotated[str, Field(pattern=NAME)]
    url: str
    priority: int = 99


ArchGlobs = dict[str, list[str]]


class Repository(Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    packages: list[str] | None = None
    include: ArchGlobs = Field(default_factory=dict)
    exclude: ArchGlobs = Field(default_factory=dict)
    multilib: list[str] = Field(default_factory=list)
    additional_multilib: list[str] = Field(default_factory=list)
    exclude_multilib: list[str] = Field(default_factory=list)
    keep: int | Literal["all"] = "all"
    groups: str | None = None
    compress: Literal["gz", "zstd"] = "gz"
    retention: int | None = Field(None, ge=1)  # revisions kept per arch; None: all
    modules: list[str] = Field(default_factory=list)  # module streams carried: "nodejs:*"

    @field_validator("modules")
    @classmethod
    def _module_globs(cls, v: list[str]) -> list[str]:
        for g in v:
            if not re.match(r"^[A-Za-z0-9*?._+-]+:[A-Za-z0-9*?._+-]+$", g):
                raise ValueError(f"'{g}' must be NAME:STREAM (globs allowed, e.g. 'nodejs:*')")
        return v

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_REPOS:
            raise ValueError(f"'{v}' is a reserved repository name")
        return v

    @field_validator("keep")
    @classmethod
    def _keep(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("keep must be 'all' or a number of at least 1")
        return v


class PackageEntry(Strict):
    name: Annotated[str, Field(pattern=PKG_NAME)]
    upstream: UpstreamOverride | None = None
    with_: list[str] = Field(default_factory=list, alias="with")
    without: list[str] = Field(default_factory=list)
    arches: list[str] | None = None  # restrict to these of the project's arches

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _stream_text(v: Any) -> Any:
    """`stream: 18` is the text 18; `stream: 1.10` would be the number 1.1: refuse it."""
    if isinstance(v, bool | float):
        raise ValueError(f'{v!r} is not text: quote stream names in YAML ("1.10")')
    return str(v) if isinstance(v, int) else v


ModuleName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")]
StreamName = Annotated[
    str, BeforeValidator(_stream_text), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
]


class ModuleDefault(Strict):
    """A `modulemd-defaults` document: the default stream and each stream's default profiles."""

    name: ModuleName
    stream: StreamName
    profiles: dict[StreamName, list[str]] = Field(default_factory=dict)


class ModuleObsolete(Strict):
    """A `modulemd-obsoletes` document: a stream at its end of life, maybe replaced."""

    name: ModuleName
    stream: StreamName
    modified: Annotated[str, Field(pattern=r"^\d{12}$")]  # YYYYMMDDhhmm
    message: str
    eol_date: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    obsoleted_by: Annotated[str, Field(pattern=r"^[^:\s]+:[^:\s]+$")] | None = None  # name:stream
    reset: bool = False


class Modules(Strict):
    defaults: list[ModuleDefault] = Field(default_factory=list)
    obsoletes: list[ModuleObsolete] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_default_per_module(self) -> Modules:
        _unique("modules.defaults", [d.name for d in self.defaults])
        return self


class ProjectFile(Strict):
    name: Annotated[str, Field(pattern=NAME, max_length=64)]
    public: bool = True
    description: str = ""
    arches: list[str] = Field(default_factory=lambda: ["x86_64"], min_length=1)
    dist: str = ""
    vendor: Vendor = Field(default_factory=Vendor)
    macros: Macros = Field(default_factory=Macros)
    upstream: Upstream | None = None
    patches: Patches | None = None
    target: Target = Field(default_factory=Target)
    builder: Literal["rpmbuild", "mock"] = "rpmbuild"
    buildroot: BuildRoot = Field(default_factory=BuildRoot)
    limits: BuildLimits = Field(default_factory=BuildLimits)
    external_repos: list[ExternalRepo] = Field(default_factory=list)
    repositories: list[Repository] = Field(default_factory=list)
    packages: list[PackageEntry] = Field(default_factory=list)
    modules: Modules = Field(default_factory=Modules)
    # optional: sign with the default key when there is one; required: publish nothing unsigned
    # (imported RPMs are re-signed too); off: never sign (docs/signing.md)
    signing: Literal["optional", "required", "off"] = "optional"

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_PROJECTS:
            words = ", ".join(sorted(RESERVED_PROJECTS))
            raise ValueError(f"'{v}' is a reserved project name (reserved: {words})")
        return v

    @field_validator("arches")
    @classmethod
    def _arches(cls, v: list[str]) -> list[str]:
        for a in v:
            if a not in BUILD_ARCHES:
                raise ValueError(f"unknown arch '{a}' (known: {', '.join(sorted(BUILD_ARCHES))})")
        if len(set(v)) != len(v):
            raise ValueError("arches are listed twice")
        return v

    @field_validator("dist")
    @classmethod
    def _dist(cls, v: str) -> str:
        if v and not re.match(r"^\.?[A-Za-z0-9_.+~]+$", v):
            raise ValueError("dist must look like '.el9'")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> ProjectFile:
        _unique("repositories", [r.name for r in self.repositories])
        _unique("packages", [p.name for p in self.packages])
        _unique("external_repos", [r.name for r in self.external_repos])
        for p in self.packages:
            if self.upstream is None and (p.upstream is None or p.upstream.url is None):
                raise ValueError(f"package {p.name} has no upstream and the project sets none")
        return self

    def package(self, name: str) -> PackageEntry | None:
        return next((p for p in self.packages if p.name == name), None)

    def upstream_for(self, name: str) -> Upstream:
        """The project's upstream with the package's overrides applied."""
        entry = self.package(name)
        base: dict[str, Any] = self.upstream.model_dump() if self.upstream else {}
        if entry and entry.upstream:
            base.update(entry.upstream.model_dump(exclude_none=True))
        return Upstream(**base)

    def normalised(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"{what}: '{n}' is listed twice")
        seen.add(n)
