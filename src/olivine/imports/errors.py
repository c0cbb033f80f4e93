"""Errors of the import capability: each names the file, hash, directive or line at fault."""

from __future__ import annotations

from olivine.errors import IntegrityFailure, NotFound, UpstreamError, ValidationFailed


class LookasideMissing(UpstreamError):
    """A lookaside blob is neither in the object store nor at the lookaside URL."""

    status = 424
    title = "Lookaside file missing"
    retryable = False  # it was looked for everywhere: trying again finds nothing new


class HashMismatch(IntegrityFailure):
    """Downloaded content differs from the hash the upstream declared."""


class UnsafeArchive(IntegrityFailure):
    """An archive member would land outside the extraction directory."""


class SpecError(ValidationFailed):
    """The spec file does not parse."""


class UpstreamMissing(NotFound):
    """The upstream repository, branch, ref or file does not exist."""


class DirectiveError(ValidationFailed):
    """A patch directive is malformed or does not apply."""

    def __init__(self, directive: str, origin: str, problem: str) -> None:
        super().__init__(f"patch directive {directive} ({origin}): {problem}")
        self.directive = directive
        self.origin = origin
        self.problem = problem
