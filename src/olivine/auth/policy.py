"""Who may do what: the permission matrix, in one place, with no I/O.

Roles per project, weakest first: guest < member < builder < manager; a global admin may do
everything. Anonymous visitors may read public projects and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ROLES = ("guest", "member", "builder", "manager")
RANK = {r: i for i, r in enumerate(ROLES)}


class Action(StrEnum):
    READ = "read"  # see the project, its packages, tasks, repos, logs
    SCRATCH_BUILD = "scratch-build"
    IMPORT = "import"
    BUILD = "build"
    CANCEL = "cancel"  # a task of the project (submitters may also cancel their own)
    MANAGE = "manage"  # apply the project file, roles, rpm import, keys


MIN_ROLE = {
    Action.READ: "guest",
    Action.SCRATCH_BUILD: "member",
    Action.IMPORT: "builder",
    Action.BUILD: "builder",
    Action.CANCEL: "builder",
    Action.MANAGE: "manager",
}


@dataclass(frozen=True)
class Principal:
    """The caller: a user, or anonymous (user_id None)."""

    user_id: int | None = None
    name: str = "anonymous"
    is_admin: bool = False
    roles: tuple[tuple[int, str], ...] = ()  # (project_id, role)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None

    def role_in(self, project_id: int) -> str | None:
        return next((r for p, r in self.roles if p == project_id), None)


ANONYMOUS = Principal()


def allowed(who: Principal, action: Action, project_id: int, project_public: bool) -> bool:
    if who.is_admin:
        return True
    if action is Action.READ and project_public:
        return True
    role = who.role_in(project_id)
    return role is not None and RANK[role] >= RANK[MIN_ROLE[action]]
