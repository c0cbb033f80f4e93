"""record_job: the task tree and the workflow start in one transaction, Idempotency-Key."""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import JobStart, Task
from olivine.errors import Conflict, ValidationFailed
from olivine.jobs.starter import unstarted
from olivine.jobs.submit import Key, Start, key_from, record_job
from olivine.tasks.service import TaskService, add_task


@dataclass
class Out:
    task_id: int


@dataclass
class In:
    task_id: int
    what: str = ""


def _record(db: Database, key: Key | None, fail: bool = False) -> tuple[Out, Start | None]:
    def write(s: Session) -> tuple[Start, Out]:
        task = add_task(s, "demo", summary="demo job", workflow_id="pending")
        task.workflow_id = f"demo-{task.id}"
        if fail:
            raise ValidationFailed("refused after writing")
        return Start(task.id, "Demo", task.workflow_id, In(task.id, "x")), Out(task.id)

    return record_job(db, key, write, lambda d: Out(**d))


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_the_job_and_its_start_are_one_transaction(db: Database) -> None:
    out, start = _record(db, None)
    assert start is not None and start.workflow_id == f"demo-{out.task_id}"
    with db.session() as s:
        row = s.scalar(select(JobStart))
        assert row is not None and row.input == {"task_id": out.task_id, "what": "x"}
    with pytest.raises(ValidationFailed):
        _record(db, None, fail=True)
    assert _count(db, Task) == 1 and _count(db, JobStart) == 1  # nothing of the refused one


def test_a_repeated_key_answers_the_first_job_and_starts_nothing(db: Database) -> None:
    key = key_from("k-1", None, kind="demo", package="bash")
    first, start = _record(db, key)
    again, none = _record(db, key_from("k-1", None, kind="demo", package="bash"))
    assert again == first and start is not None and none is None
    assert _count(db, Task) == 1
    with pytest.raises(Conflict, match="different request"):
        _record(db, key_from("k-1", None, kind="demo", package="zsh"))
    with pytest.raises(ValidationFailed, match="Idempotency-Key"):
        key_from(" ", None, kind="demo")


def test_the_reconciler_skips_jobs_whose_task_ended(db: Database) -> None:
    from datetime import timedelta

    a, _ = _record(db, None)
    b, _ = _record(db, None)
    TaskService(db).finish(b.task_id, "canceled", error="canceled")
    assert [p.task_id for p in unstarted(db, timedelta(0))] == [a.task_id]
