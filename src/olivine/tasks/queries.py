"""Reading tasks for people: filters, pagination and visibility."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, desc, false, func, or_, select
from sqlalchemy.orm import aliased

from olivine.auth.policy import Principal
from olivine.db.base import Database
from olivine.db.models import Package, Project, Task, TaskLog, User


@dataclass(frozen=True)
class TaskFilter:
    project: str | None = None
    kind: str | None = None
    status: str | None = None
    package: str | None = None
    submitter: str | None = None
    parent_id: int | None = None
    roots_only: bool = False


@dataclass(frozen=True)
class TaskRow:
    task: Task
    project: str | None
    package: str | None
    submitter: str | None


TaskSelect = Select[Task, str | None, str | None, str | None]


def _base() -> TaskSelect:
    sub = aliased(User)
    return (
        select(Task, Project.name, Package.name, sub.name)
        .outerjoin(Project, Project.id == Task.project_id)
        .outerjoin(Package, Package.id == Task.package_id)
        .outerjoin(sub, sub.id == Task.submitter_id)
    )


def _visible(q: TaskSelect, who: Principal) -> TaskSelect:
    if who.is_admin:
        return q
    role_ids = [p for p, _ in who.roles]
    conds: list[ColumnElement[bool]] = [
        Project.public.is_(True),
        Task.project_id.in_(role_ids) if role_ids else false(),
    ]
    if who.user_id is not None:
        conds.append(Task.submitter_id == who.user_id)
    return q.where(or_(*conds))


def list_tasks(
    db: Database, who: Principal, f: TaskFilter, offset: int, limit: int
) -> tuple[int, list[TaskRow]]:
    sub = aliased(User)
    q = _visible(_base(), who)
    if f.project:
        q = q.where(Project.name == f.project)
    if f.kind:
        q = q.where(Task.kind == f.kind)
    if f.status:
        q = q.where(Task.status == f.status)
    if f.package:
        q = q.where(Package.name == f.package)
    if f.submitter:
        q = q.where(Task.submitter_id.in_(select(sub.id).where(sub.name == f.submitter)))
    if f.parent_id is not None:
        q = q.where(Task.parent_id == f.parent_id)
    elif f.roots_only:
        q = q.where(Task.parent_id.is_(None))
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
        rows = s.execute(q.order_by(Task.id.desc()).offset(offset).limit(limit)).all()
        s.expunge_all()
        return total, [TaskRow(r[0], r[1], r[2], r[3]) for r in rows]


def get_task(db: Database, task_id: int) -> TaskRow | None:
    with db.session() as s:
        row = s.execute(_base().where(Task.id == task_id)).one_or_none()
        s.expunge_all()
        return TaskRow(row[0], row[1], row[2], row[3]) if row else None


def project_of(db: Database, task: Task) -> Project | None:
    if task.project_id is None:
        return None
    with db.session() as s:
        p = s.get(Project, task.project_id)
        if p is not None:
            s.expunge(p)
        return p


def root_workflow(db: Database, task_id: int) -> tuple[int, str | None]:
    """The nearest task up the tree that has a workflow (child steps share their parent's)."""
    with db.session() as s:
        current = s.get(Task, task_id)
        while current is not None:
            if current.workflow_id or current.parent_id is None:
                return current.id, current.workflow_id
            current = s.get(Task, current.parent_id)
    return task_id, None


def task_kinds(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(k for (k,) in s.execute(select(Task.kind).distinct()))


@dataclass
class Node:
    task: Task
    children: list[Node] = field(default_factory=list)


def task_tree(db: Database, root: Task, limit: int = 2000) -> tuple[Node, int]:
    """The task and its descendants (breadth-first, at most limit of them)."""
    top = Node(root)
    frontier = {root.id: top}
    count = 0
    with db.session() as s:
        while frontier and count < limit:
            kids = list(
                s.scalars(
                    select(Task)
                    .where(Task.parent_id.in_(list(frontier)))
                    .order_by(Task.id)
                    .limit(limit - count)
                )
            )
            nxt: dict[int, Node] = {}
            for k in kids:
                node = Node(k)
                frontier[k.parent_id or 0].children.append(node)
                nxt[k.id] = node
            count += len(kids)
            frontier = nxt
        s.expunge_all()
    return top, count


def log_tail(db: Database, task_id: int, limit: int = 128 * 1024) -> tuple[str, int, bool]:
    """The end of a task's log: (text, last seq, whether earlier output was left out)."""
    parts: list[str] = []
    size, last, cut = 0, -1, False
    with db.session() as s:
        q = select(TaskLog.seq, TaskLog.text).where(TaskLog.task_id == task_id)
        for seq, text in s.execute(q.order_by(desc(TaskLog.seq))):
            last = max(last, seq)
            if size + len(text) > limit:
                parts.append(text[-(limit - size) :] if size < limit else "")
                cut = True
                break
            parts.append(text)
            size += len(text)
    return "".join(reversed(parts)), last, cut
