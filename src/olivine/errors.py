"""Typed domain errors. Each carries a message a user can act on; the API maps the class to an
HTTP status (problem+json) and the CLI prints the message as one line on stderr."""

from __future__ import annotations


class OlivineError(Exception):
    """Base of every error Olivine raises on purpose."""

    status = 400
    title = "Bad request"
    # Whether a workflow should try the step again. Domain errors are final: the same input
    # fails the same way. Infrastructure errors (git, network) set this to True.
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(OlivineError):
    title = "Invalid configuration"


class ValidationFailed(OlivineError):
    status = 422
    title = "Invalid input"


class NotFound(OlivineError):
    status = 404
    title = "Not found"


class Conflict(OlivineError):
    status = 409
    title = "Conflict"


class Unauthenticated(OlivineError):
    status = 401
    title = "Authentication required"


class Forbidden(OlivineError):
    status = 403
    title = "Forbidden"


class IntegrityFailure(OlivineError):
    """Content did not match what was promised (hash mismatch, unsafe archive member)."""

    status = 422
    title = "Integrity check failed"


class UpstreamError(OlivineError):
    """An upstream (git, lookaside, URL) could not be read."""

    status = 502
    title = "Upstream unavailable"
    retryable = True  # a server or network that may answer next time


class ServiceFailure(OlivineError):
    """Olivine's own machinery failed (a git or database command): worth another try."""

    status = 500
    title = "Internal failure"
    retryable = True


class Unavailable(OlivineError):
    """A service Olivine needs (Temporal) cannot be reached now: nothing was changed."""

    status = 503
    title = "Service unavailable"
    retryable = True
