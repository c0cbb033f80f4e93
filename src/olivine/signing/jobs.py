"""The signing job kinds and the data that crosses Temporal for them. Only ids, hashes,
fingerprints and public facts: never key material (the tests grep every payload for it).

- `sign`: sign RPMs of a project with its default key, then adopt the signed files; run by the
  project's publisher before every publish when the project has a default key (STYLE.md's shape:
  the publisher is the workflow, these are its inputs and results).
- `resign`: re-sign what a key signed (or every RPM of the project) with the default key, then
  publish (`olivine key resign P`).
- `key-create` / `key-import`: make or import a key, on the signer (the only holder of the KEK).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SignStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


@dataclass
class SigningPolicy:
    """What the publisher needs to know before it publishes a project."""

    project: str
    mode: str  # optional | required | off
    fingerprint: str | None  # the default key; None: nothing is signed
    task_id: int | None = None  # the `sign` task of this publish, when there is a key
    refusal: str | None = None  # required but impossible: the publish stops with this

    @property
    def signs(self) -> bool:
        return self.fingerprint is not None and self.mode != "off"


@dataclass
class SignInput:
    project: str
    artifact_ids: list[int] = field(default_factory=list)
    full: bool = False  # every build output of the project (a full publish)
    imported: bool = False  # RPMs brought in with `olivine rpm import` too
    strict: bool = False  # refuse the request if an id is not the project's to sign
    task_id: int | None = None


@dataclass
class SignResult:
    signature_ids: list[int] = field(default_factory=list)
    signed: int = 0  # new signatures made
    reused: int = 0  # RPMs signed with this key before
    fingerprint: str = ""


@dataclass
class AdoptInput:
    project: str
    signature_ids: list[int]


@dataclass
class AdoptResult:
    changed: list[int] = field(default_factory=list)


@dataclass
class RepomdToSign:
    revision_id: int
    repomd_sha256: str


@dataclass
class RepomdInput:
    project: str
    revisions: list[RepomdToSign]
    task_id: int | None = None


@dataclass
class ResignInput:
    task_id: int
    project: str = ""
    from_fingerprint: str | None = None  # None: every RPM of the project
    imported: bool = False


@dataclass
class ResignResult:
    """What a `resign` task ends with (its task row keeps it)."""

    artifacts: int = 0  # RPMs re-signed
    signed: int = 0  # new signatures made
    fingerprint: str = ""  # the default key that signed them


@dataclass
class ResignSubmitted:
    """The API's answer to `key resign` (also the first answer to a repeated Idempotency-Key)."""

    task_id: int
    workflow_id: str
    project: str = ""


@dataclass
class PublishWait:
    project: str
    artifact_ids: list[int]
    task_id: int | None = None


@dataclass
class KeyRequestInput:
    task_id: int
    request_id: int = 0


@dataclass
class KeyRequestSubmitted:
    """A recorded `key create` / `key import`: the API then waits for its workflow's result."""

    task_id: int
    request_id: int
    workflow_id: str


@dataclass
class KeyRequestResult:
    """The made or imported key's public summary: never any private material."""

    fingerprint: str
    algorithm: str = ""
    user_id: str = ""
    state: str = ""
    is_default: bool = False
    expires_at: str | None = None
