"""The import job kinds: `import` (one package from its upstream or an uploaded SRPM) and
`import-batch` (many at once). Their inputs, results and statuses; submit() is
olivine.imports.service.submit_import / submit_import_batch, the workflows are
olivine.workflows.imports (workflow names `Import`, `ImportBatch`), the activity calls
olivine.imports.service.run_import."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from olivine.batches.service import BatchItemRef, ItemOutcome

IMPORT_TIMEOUT = 2 * 3600  # seconds: a large lookaside over a slow link


class ImportStatus(StrEnum):
    """How an import ended (its task's status is the TaskStatus)."""

    IMPORTED = "imported"
    UNCHANGED = "unchanged"


@dataclass
class ImportRequest:
    package: str
    ref: str | None = None  # upstream tag, branch or commit
    srpm_sha256: str | None = None  # an uploaded SRPM, in the object store
    srpm_name: str | None = None


@dataclass
class ImportInput:
    """The `Import` workflow's (and `import_package` activity's) input. `params` is the shape
    before the job layer (a workflow resumed after an upgrade); `resolved()` reads it."""

    task_id: int
    project: str = ""
    package: str = ""
    ref: str | None = None
    srpm_sha256: str | None = None
    srpm_name: str | None = None
    submitter_id: int | None = None
    timeout: int = IMPORT_TIMEOUT
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> ImportInput:
        if not self.params:
            return self
        keep = {k: v for k, v in self.params.items() if k in _IMPORT_FIELDS}
        return ImportInput(self.task_id, **keep)


@dataclass
class ImportSubmitted:
    task_id: int
    project: str
    package: str
    status: str = "pending"


@dataclass
class ImportBatchInput:
    task_id: int
    batch_id: int = 0
    project: str = ""
    submitter_id: int | None = None
    items: list[BatchItemRef] = field(default_factory=list)
    timeout: int = IMPORT_TIMEOUT
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> ImportBatchInput:
        if not self.params:
            return self
        p = self.params
        items = [BatchItemRef(**i) for i in p.get("items", [])]
        return ImportBatchInput(
            self.task_id, p.get("batch_id", 0), p.get("project", ""), p.get("submitter_id"), items
        )

    def item_input(self, item: BatchItemRef) -> ImportInput:
        return ImportInput(
            item.task_id,
            self.project,
            item.package,
            submitter_id=self.submitter_id,
            timeout=self.timeout,
        )


@dataclass
class ImportOutcome(ItemOutcome):
    nevr: str | None = None
    task_id: int | None = None


@dataclass
class ImportBatchResult:
    batch_id: int
    counts: dict[str, int]
    items: list[ImportOutcome]


_IMPORT_FIELDS = set(ImportInput.__dataclass_fields__) - {"task_id", "params"}
