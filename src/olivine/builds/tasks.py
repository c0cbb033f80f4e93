"""The arch child tasks of build tasks: one per arch build, made once the arches are known (by
the SRPM step, or for a batch's one-sandbox builds by its plan, all in one transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Task, TaskLog
from olivine.errors import NotFound
from olivine.tasks.service import add_task


@dataclass(frozen=True)
class ArchTasksWanted:
    task_id: int  # the build's task
    build_id: int
    arches: tuple[str, ...]


def arch_tasks(db: Database, wanted: Sequence[ArchTasksWanted]) -> dict[int, dict[str, int]]:
    """build task -> arch -> its child task; the ones already made are found (a retried
    activity makes none twice), each new one's log says which workers it waits for."""
    ids = [w.task_id for w in wanted]
    with db.session() as s:
        parents = {t.id: t for t in s.scalars(select(Task).where(Task.id.in_(ids)))}
        have: dict[int, dict[str, int]] = defaultdict(dict)
        for t in s.scalars(select(Task).where(Task.parent_id.in_(ids))):
            if t.arch and t.parent_id is not None:
                have[t.parent_id][t.arch] = t.id
        for w in wanted:
            parent = parents.get(w.task_id)
            if parent is None:
                raise NotFound(f"task {w.task_id} does not exist")
            for arch in w.arches:
                if arch in have[w.task_id]:
                    continue
                task = add_task(
                    s,
                    "build-arch",
                    project_id=parent.project_id,
                    package_id=parent.package_id,
                    submitter_id=parent.submitter_id,
                    parent_id=w.task_id,
                    arch=arch,
                    summary=f"{parent.summary} ({arch})",
                    params={"build_id": w.build_id},
                )
                queue = f"olivine-build-{arch}"
                s.add(TaskLog(task_id=task.id, seq=0, text=f"waiting for an {arch} worker "
                              f"(queue {queue})\n"))  # fmt: skip
                have[w.task_id][arch] = task.id
        return {w.task_id: {a: have[w.task_id][a] for a in w.arches} for w in wanted}
