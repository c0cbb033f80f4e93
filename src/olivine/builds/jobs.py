"""The build job kinds: `build` (one package: SRPM, one arch build per arch, finish, publish)
and `build-batch` (many, in BuildRequires order). Their inputs, results and statuses; submit()
is olivine.builds.service.submit_build / submit_build_batch, the workflows are
olivine.workflows.builds (workflow names `Build`, `BuildBatch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from olivine.batches.service import BatchItemRef, ItemOutcome

WORKER_WAIT = 900  # seconds an SRPM or arch build waits for a worker of its arch, then fails
HEARTBEAT = 120  # seconds a build activity may go without a heartbeat before it is retried


@dataclass
class SrpmStepResult:
    srpm_sha256: str
    srpm_name: str
    arches: list[str]
    noarch: bool
    nevr: str
    excluded: dict[str, str] = field(default_factory=dict)
    build_requires: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)  # what the binary packages will provide
    arch_tasks: dict[str, int] = field(default_factory=dict)  # arch -> its child task
    # not made yet: its one arch build makes it, in the same sandbox run (builds/whole.py); the
    # arches, BuildRequires and provides are its import's
    one_sandbox: bool = False


@dataclass
class ArchStepResult:
    arch: str
    rpms: list[dict[str, str]]  # {name, sha256}
    reason: str | None = None
    finished: BuildResult | None = None  # the build's finish, made by the arch activity
    srpm: SrpmStepResult | None = None  # the SRPM it made (SrpmStepResult.one_sandbox)


class BuildStatus(StrEnum):
    PENDING = "pending"
    BUILDING = "building"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass
class BuildRequest:
    package: str
    scm_hash: str | None = None
    scratch: bool = False


@dataclass
class BuildInput:
    """The `Build` workflow's input. `params` is the shape before the job layer (a workflow
    started by an older Olivine, resumed after an upgrade); `resolved()` reads it."""

    task_id: int
    build_id: int = 0
    project: str = ""
    project_id: int = 0
    package: str = ""
    srpm_arch: str = "x86_64"
    submitter_id: int | None = None
    worker_wait: int = WORKER_WAIT
    heartbeat: int = HEARTBEAT
    srpm: SrpmStepResult | None = None  # made already (by its batch)
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> BuildInput:
        if not self.params:
            return self
        p = dict(self.params)
        srpm = p.pop("srpm", None)
        keep = {k: v for k, v in p.items() if k in _BUILD_FIELDS}
        out = BuildInput(self.task_id, **keep)
        out.srpm = SrpmStepResult(**srpm) if isinstance(srpm, dict) else None
        return out


@dataclass
class BuildResult:
    build_id: int
    project: str
    nevr: str
    scratch: bool = False
    rpms: list[dict[str, str]] = field(default_factory=list)  # {name, sha256}
    artifact_ids: list[int] = field(default_factory=list)


@dataclass
class BuildSubmitted:
    task_id: int
    build_id: int
    project: str
    package: str
    status: str = "pending"


@dataclass
class BuildBatchInput:
    task_id: int
    batch_id: int = 0
    project: str = ""
    project_id: int = 0
    srpm_arch: str = "x86_64"
    submitter_id: int | None = None
    worker_wait: int = WORKER_WAIT
    heartbeat: int = HEARTBEAT
    items: list[BatchItemRef] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> BuildBatchInput:
        if not self.params:
            return self
        p = self.params
        keep = {k: v for k, v in p.items() if k in _BATCH_FIELDS and k != "items"}
        items = [BatchItemRef(**i) for i in p.get("items", [])]
        return BuildBatchInput(self.task_id, items=items, **keep)

    def build_input(self, item: BatchItemRef, srpm: SrpmStepResult | None) -> BuildInput:
        return BuildInput(
            item.task_id,
            item.build_id or 0,
            self.project,
            self.project_id,
            item.package,
            self.srpm_arch,
            self.submitter_id,
            self.worker_wait,
            self.heartbeat,
            srpm,
        )


@dataclass
class BuildBatchResult:
    batch_id: int
    counts: dict[str, int]
    cycles: list[list[str]]
    items: list[ItemOutcome]


_BUILD_FIELDS = set(BuildInput.__dataclass_fields__) - {"task_id", "params", "srpm"}
_BATCH_FIELDS = set(BuildBatchInput.__dataclass_fields__) - {"task_id", "params"}
