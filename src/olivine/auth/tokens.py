"""Who may list, make and revoke which API tokens: one rule for the API and the web UI.

Anyone signed in manages their own tokens; an administrator manages everyone's.
"""

from __future__ import annotations

from olivine.auth.policy import Principal
from olivine.auth.service import AuthService, NewToken, TokenInfo
from olivine.errors import Forbidden, Unauthenticated


def _signed_in(who: Principal) -> None:
    if who.anonymous:
        raise Unauthenticated("this needs an API token")


def _admin(who: Principal, what: str) -> None:
    if not who.is_admin:
        raise Forbidden(f"only an administrator may {what}")


def list_tokens(auth: AuthService, who: Principal, user: str | None = None) -> list[TokenInfo]:
    """The caller's tokens; an administrator's call without `user` lists every user's."""
    _signed_in(who)
    if not who.is_admin:
        if user not in (None, who.name):
            raise Forbidden("only an administrator may list other users' tokens")
        user = who.name
    return auth.list_tokens(user)


def create_token(auth: AuthService, who: Principal, name: str, user: str | None) -> NewToken:
    _signed_in(who)
    owner = user or who.name
    if owner != who.name:
        _admin(who, "make a token for another user")
    return auth.create_token(owner, name)


def revoke_token(auth: AuthService, who: Principal, token_id: int) -> None:
    _signed_in(who)
    if auth.token_owner(token_id) != who.name:
        _admin(who, "revoke another user's token")
    auth.revoke_token(token_id)
