"""What an upstream reader returns: a tree in the SPECS/SOURCES layout and its lookaside."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from olivine.fetch.policy import FetchPolicy
from olivine.imports.lookaside import Blob, LookasideRef

KINDS = ("dist-git", "dist-git-flat", "srpm", "src-git")


@dataclass(frozen=True)
class UpstreamRequest:
    kind: str
    url: str  # the template with {name} filled in
    name: str
    branch: str | None = None
    ref: str | None = None
    lookaside: str | None = None  # lookaside URL template (dist-git kinds)
    srpm: Path | None = None  # an uploaded SRPM (kind srpm)
    defines: tuple[tuple[str, str], ...] = ()  # the project's macros (src-git evaluates Source0)
    policy: FetchPolicy = field(default_factory=FetchPolicy)  # what may be fetched, and caps


@dataclass
class UpstreamTree:
    kind: str
    url: str
    branch: str | None
    ref: str | None  # the tag, branch or ref taken
    commit: str | None  # git commit, or the sha256 of an SRPM
    root: Path  # SPECS/, SOURCES/ and whatever else upstream keeps beside them
    lookaside: list[LookasideRef] = field(default_factory=list)  # still to fetch
    blobs: list[Blob] = field(default_factory=list)  # already in the object store
    commit_time: int | None = None

    def describe(self) -> str:
        at = f"@{self.commit}" if self.commit else ""
        branch = f" branch {self.branch}" if self.branch else ""
        return f"{self.kind} {self.url}{branch} ({self.ref or '-'}{at})"


def metadata_name(name: str) -> str:
    return f".{name}.metadata"


def parse_metadata(text: str, origin: str) -> list[LookasideRef]:
    """`.<name>.metadata`: lines `<hash> SOURCES/<file>`."""
    from olivine.errors import ValidationFailed

    refs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ValidationFailed(f"{origin} line {n}: expected '<hash> <path>', got {line!r}")
        try:
            refs.append(LookasideRef.of(parts[1].strip(), parts[0]))
        except ValidationFailed as e:
            raise ValidationFailed(f"{origin} line {n}: {e.message}") from None
    return refs


def parse_sources_file(text: str, origin: str) -> list[LookasideRef]:
    """Fedora's `sources`: `SHA512 (file) = hash` lines, or the older `hash  file` form.
    Split by hand: the format is two fixed shapes, each a few string operations."""
    from olivine.errors import ValidationFailed

    refs = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            head, sep, digest = line.rpartition(") = ")
            if sep and " (" in head:
                kind, _, fname = head.partition(" (")
                refs.append(LookasideRef.of(f"SOURCES/{fname}", digest.strip(), kind.strip()))
            else:
                digest, _, fname = line.partition(" ")
                refs.append(LookasideRef.of(f"SOURCES/{fname.strip()}", digest))
        except ValidationFailed as e:
            raise ValidationFailed(f"{origin} line {n}: {e.message}") from None
    return refs
