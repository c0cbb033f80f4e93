"""Who may see and cancel a task: shared by the API routes and the web pages."""

from __future__ import annotations

from olivine.api.deps import check, require_user
from olivine.auth.policy import Action, Principal, allowed
from olivine.db.base import Database
from olivine.errors import Forbidden, NotFound
from olivine.services import Services
from olivine.tasks.queries import TaskRow, get_task, project_of


def visible_task(svc: Services, who: Principal, task_id: int) -> TaskRow:
    row = get_task(svc.db, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist")
    project = project_of(svc.db, row.task)
    if project is not None:
        check(who, Action.READ, project, hidden=f"task {task_id} does not exist")
    elif not (who.is_admin or (who.user_id and row.task.submitter_id == who.user_id)):
        if who.anonymous:
            require_user(who)
        raise NotFound(f"task {task_id} does not exist")
    return row


def may_cancel(db: Database, who: Principal, row: TaskRow) -> bool:
    """Whether `who` may cancel the task (the submitter, an administrator, a project role with
    the cancel right)."""
    t = row.task
    if who.anonymous:
        return False
    if who.is_admin or (t.submitter_id is not None and t.submitter_id == who.user_id):
        return True
    project = project_of(db, t)
    return project is not None and allowed(who, Action.CANCEL, project.id, project.public)


def check_cancel(svc: Services, who: Principal, task_id: int) -> TaskRow:
    require_user(who)
    row = visible_task(svc, who, task_id)
    if not may_cancel(svc.db, who, row):
        project = project_of(svc.db, row.task)
        if project is None:
            raise Forbidden(f"only the submitter or an administrator may cancel task {task_id}")
        check(who, Action.CANCEL, project)
    return row


def check_apply(svc: Services, who: Principal, name: str) -> int | None:
    """May `who` apply a project file for project `name`? Its id, or None for a new project
    (creating one is an administrator's act)."""
    from olivine.api.deps import project_for, require_admin

    require_user(who)
    try:
        return project_for(svc, who, name, Action.MANAGE).id
    except NotFound:
        require_admin(who)
        return None
