"""Request and response bodies of /api/v1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

T = TypeVar("T")


def utc_text(d: datetime) -> str:
    """Every timestamp the API answers, one spelling: UTC with a `Z` (the database's naive
    values are UTC already)."""
    d = d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)
    return d.isoformat(timespec="seconds").replace("+00:00", "Z")


Utc = Annotated[datetime, PlainSerializer(utc_text, return_type=str, when_used="json")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class ProjectOut(BaseModel):
    name: str
    public: bool
    description: str = ""
    arches: list[str]
    dist: str
    created_at: Utc
    updated_at: Utc
    spec: dict[str, Any] | None = None


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = Field(description="the project file, as YAML text", max_length=4_000_000)
    filename: str = "project.yaml"
    wait: bool = True
    groups: dict[str, str] = Field(
        default_factory=dict,
        description="the content of each comps file the project file names in "
        "`repositories[].groups`, keyed by that path as written (the server opens no path)",
    )


class ApplyOut(BaseModel):
    task_id: int
    project: str
    status: str
    created: bool | None = None
    changes: list[str] | None = None
    error: str | None = None


class PackageOut(BaseModel):
    name: str
    active: bool
    settings: dict[str, Any]
    latest_import: dict[str, Any] | None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    parent_id: int | None
    kind: str
    status: str
    arch: str | None
    project: str | None = None
    package: str | None = None
    submitter: str | None = None
    summary: str
    result: dict[str, Any] | None
    error: str | None
    canceled_by: str | None = Field(None, description="who canceled it (when it is canceled)")
    created_at: Utc
    started_at: Utc | None
    finished_at: Utc | None
    duration_s: float | None = Field(None, description="start to end (or to now, if running)")
    build_id: int | None = Field(None, description="the build it is (a part of)")
    batch_id: int | None = Field(None, description="the batch it is (an item of)")
    import_revision_id: int | None = Field(None, description="the import it made or builds")
    children: list[TaskOut] | None = None


class LogChunk(BaseModel):
    seq: int
    text: str


class LogOut(BaseModel):
    task_id: int
    status: str
    done: bool
    chunks: list[LogChunk]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    admin: bool = False


class UserOut(BaseModel):
    name: str
    admin: bool
    created_at: Utc


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str | None = None
    name: str = Field("", max_length=128)


class TokenCreated(BaseModel):
    id: int
    user: str
    token: str = Field(description="shown once; store it now")


class TokenOut(BaseModel):
    id: int
    user: str
    name: str
    prefix: str
    created_at: Utc
    last_used_at: Utc | None
    revoked: bool


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str


class RoleOut(BaseModel):
    user: str
    role: str


class MeOut(BaseModel):
    name: str
    admin: bool
    anonymous: bool
    roles: dict[str, str]


BATCH_STATUS = (
    "what happened to its items: its task's status while it runs or when canceled, then "
    "failed (every item failed, was skipped or canceled), partial (some did) or succeeded"
)


class BatchItemOut(BaseModel):
    package: str
    status: str = Field(description="pending, building, built, imported, unchanged, failed, "
                        "skipped or canceled")  # fmt: skip
    task_id: int | None
    reason: str | None


class BatchOut(BaseModel):
    """A batch of either kind: `olivine batch show ID`."""

    batch_id: int
    kind: str = Field(description="import or build")
    task_id: int | None
    project: str
    status: str | None = Field(None, description=BATCH_STATUS)
    canceled_by: str | None = Field(None, description="who canceled it (when it is canceled)")
    counts: dict[str, int]
    items: list[BatchItemOut]


class BatchLineOut(BaseModel):
    batch_id: int
    kind: str
    task_id: int | None
    task_status: str | None
    status: str | None = Field(None, description=BATCH_STATUS)
    submitter: str | None
    created_at: Utc
    counts: dict[str, int]
