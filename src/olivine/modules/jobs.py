"""The `module-build` job kind: its input, plan, result and status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ModuleBuildStatus(StrEnum):
    PENDING = "pending"
    BUILDING = "building"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass
class ModuleBuildInput:
    task_id: int
    module_build_id: int = 0
    project: str = ""
    project_id: int = 0
    srpm_arch: str = "x86_64"
    submitter_id: int | None = None
    worker_wait: int = 0


@dataclass
class ModuleBuildSubmitted:
    task_id: int
    module_build_id: int
    project: str
    module: str  # NAME:STREAM
    workflow_id: str = ""
    status: str = ModuleBuildStatus.PENDING


@dataclass
class PlannedComponent:
    component: str
    build_id: int
    task_id: int


@dataclass
class PlannedModuleContext:
    context_id: int
    nsvc: str
    groups: list[list[PlannedComponent]] = field(default_factory=list)


@dataclass
class ModulePlanOut:
    contexts: list[PlannedModuleContext] = field(default_factory=list)


@dataclass
class OrderCheck:
    groups: list[list[str]] = field(default_factory=list)
    build_requires: dict[str, list[str]] = field(default_factory=dict)
    provides: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ComponentOutcome:
    context_id: int
    component: str
    build_id: int
    reason: str | None = None  # None: built


@dataclass
class ModuleBuildResult:
    module_build_id: int
    nsvcs: list[str] = field(default_factory=list)
    status: str = ModuleBuildStatus.COMPLETE
    reason: str | None = None
