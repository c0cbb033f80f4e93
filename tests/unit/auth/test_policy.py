from __future__ import annotations

import pytest

from olivine.auth.policy import ANONYMOUS, ROLES, Action, Principal, allowed

P = 7


def who(role: str | None, admin: bool = False) -> Principal:
    return Principal(1, "u", admin, ((P, role),) if role else ())


@pytest.mark.parametrize("public", [True, False])
def test_anonymous_reads_public_only_and_does_nothing_else(public: bool) -> None:
    assert allowed(ANONYMOUS, Action.READ, P, public) is public
    for action in Action:
        if action is not Action.READ:
            assert not allowed(ANONYMOUS, action, P, public)


def test_roles_are_ordered() -> None:
    expected = {
        "guest": {Action.READ},
        "member": {Action.READ, Action.SCRATCH_BUILD},
        "builder": {Action.READ, Action.SCRATCH_BUILD, Action.IMPORT, Action.BUILD, Action.CANCEL},
        "manager": set(Action),
    }
    for role in ROLES:
        got = {a for a in Action if allowed(who(role), a, P, False)}
        assert got == expected[role], role


def test_role_in_another_project_gives_nothing_private() -> None:
    other = Principal(1, "u", False, ((P + 1, "manager"),))
    assert not allowed(other, Action.READ, P, False)
    assert allowed(other, Action.READ, P, True)
    assert not allowed(other, Action.BUILD, P, True)


def test_admin_does_everything() -> None:
    assert all(allowed(who(None, admin=True), a, P, False) for a in Action)
