"""Patch directives, whatever file format declared them, each with the place it came from.

The kinds are srpmproc's, applied in its fixed order within each directive file: replace,
delete, add, patch, lookaside, then the spec changes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Replace:
    origin: Origin
    file: str
    with_file: str | None = None  # a path in the patch repository
    with_inline: str | None = None
    with_lookaside: str | None = None  # sha256 of an object in the store


@dataclass(frozen=True)
class Delete:
    origin: Origin
    file: str


@dataclass(frozen=True)
class Add:
    origin: Origin
    file: str | None = None  # a path in the patch repository
    lookaside: str | None = None  # sha256 of an object in the store
    name: str | None = None  # the name in SOURCES/ (default: the file's base name)


@dataclass(frozen=True)
class Patch:
    origin: Origin
    file: str  # a git diff in the patch repository
    strict: bool = False  # false: paths without SOURCES/ or SPECS/ get SOURCES/


@dataclass(frozen=True)
class Lookaside:
    origin: Origin
    files: tuple[str, ...]
    tar: bool = False
    archive_name: str | None = None
    from_patch_tree: bool = False


@dataclass(frozen=True)
class SpecFile:
    """Add or remove a SourceN/PatchN line (and, for patches, the %patch line in %prep)."""

    origin: Origin
    name: str
    kind: str  # "source" | "patch"
    add: bool  # false: delete
    add_to_prep: bool = False
    strip: int = 1  # -pN of the %patch line


@dataclass(frozen=True)
class Changelog:
    origin: Origin
    author_name: str
    author_email: str
    message: tuple[str, ...]


@dataclass(frozen=True)
class SearchReplace:
    origin: Origin
    find: str
    replace: str
    field: str | None = None  # a tag such as Release; else one of the line modes below
    any: bool = False
    starts_with: bool = False
    ends_with: bool = False
    n: int = -1  # how many occurrences; -1 (or 0, proto3's unset) means all


@dataclass(frozen=True)
class Append:
    origin: Origin
    field: str  # a tag (Release: a suffix, the changelog follows) or a section (%prep)
    value: str


@dataclass(frozen=True)
class NewField:
    origin: Origin
    key: str
    value: str


@dataclass
class DirectiveFile:
    """All directives of one file (a .cfg or a .yaml), applied in srpmproc's order."""

    path: str
    replace: list[Replace] = field(default_factory=list)
    delete: list[Delete] = field(default_factory=list)
    add: list[Add] = field(default_factory=list)
    patch: list[Patch] = field(default_factory=list)
    lookaside: list[Lookaside] = field(default_factory=list)
    spec_file: list[SpecFile] = field(default_factory=list)
    changelog: list[Changelog] = field(default_factory=list)
    search_and_replace: list[SearchReplace] = field(default_factory=list)
    append: list[Append] = field(default_factory=list)
    new_field: list[NewField] = field(default_factory=list)

    def count(self) -> int:
        return sum(
            len(x)
            for x in (
                self.replace,
                self.delete,
                self.add,
                self.patch,
                self.lookaside,
                self.spec_file,
                self.changelog,
                self.search_and_replace,
                self.append,
                self.new_field,
            )
        )

    def has_spec_changes(self) -> bool:
        return bool(
            self.spec_file
            or self.changelog
            or self.search_and_replace
            or self.append
            or self.new_field
        )
