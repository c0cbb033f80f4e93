from __future__ import annotations

import pytest

from olivine.auth import tokens
from olivine.auth.policy import ANONYMOUS
from olivine.auth.service import AuthService
from olivine.db.base import Database
from olivine.errors import Forbidden, Unauthenticated


def test_users_manage_their_own_tokens_and_admins_everyones(db: Database) -> None:
    auth = AuthService(db)
    for name, admin in (("ann", False), ("bob", False), ("root", True)):
        auth.create_user(name, admin)
    ann = auth.authenticate(auth.create_token("ann", "first").secret)
    root = auth.authenticate(auth.create_token("root").secret)

    made = tokens.create_token(auth, ann, "laptop", None)
    assert made.user == "ann"
    assert {t.name for t in tokens.list_tokens(auth, ann)} == {"first", "laptop"}
    with pytest.raises(Forbidden, match="list other users' tokens"):
        tokens.list_tokens(auth, ann, "bob")
    with pytest.raises(Forbidden, match="make a token for another user"):
        tokens.create_token(auth, ann, "x", "bob")

    bobs = tokens.create_token(auth, root, "ci", "bob")
    with pytest.raises(Forbidden, match="revoke another user's token"):
        tokens.revoke_token(auth, ann, bobs.id)
    tokens.revoke_token(auth, root, bobs.id)
    assert [t.revoked for t in tokens.list_tokens(auth, root, "bob")] == [True]
    assert {t.user for t in tokens.list_tokens(auth, root)} == {"ann", "bob", "root"}


def test_anonymous_callers_are_asked_for_a_token(db: Database) -> None:
    auth = AuthService(db)
    for call in (
        lambda: tokens.list_tokens(auth, ANONYMOUS),
        lambda: tokens.create_token(auth, ANONYMOUS, "x", None),
        lambda: tokens.revoke_token(auth, ANONYMOUS, 1),
    ):
        with pytest.raises(Unauthenticated):
            call()
