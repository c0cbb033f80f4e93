"""The hook point for signing in through an identity provider (OIDC, later).

A provider implements IdentityProvider and is registered once at start-up (register()). The web
UI then offers "Sign in with <label>" on /login and serves:

    GET /login/with/<name>            -> redirect to provider.start(request, state)
    GET /login/with/<name>/callback   -> provider.finish(request, state) names an Olivine user;
                                         the session is then bound to a new API token of that
                                         user (named "web sign-in via <name>"), so revoking it
                                         ends the session like any other token.

`state` is the session's CSRF token: the callback is refused unless it comes back unchanged.
Olivine ships no provider: with none registered these URLs answer 404.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

_PROVIDERS: dict[str, IdentityProvider] = {}


class IdentityProvider(Protocol):
    name: str  # a URL slug: [a-z0-9-]+
    label: str  # shown on the sign-in button

    async def start(self, request: Request, state: str) -> str:
        """The URL of the provider's authorization endpoint for this sign-in."""
        ...

    async def finish(self, request: Request, state: str) -> str:
        """Check the provider's answer (the callback request) and return the name of the
        Olivine user it stands for; raise olivine.errors.Unauthenticated to refuse."""
        ...


def register(provider: IdentityProvider) -> None:
    _PROVIDERS[provider.name] = provider


def unregister(name: str) -> None:
    _PROVIDERS.pop(name, None)


def providers() -> list[IdentityProvider]:
    return [_PROVIDERS[k] for k in sorted(_PROVIDERS)]


def provider(name: str) -> IdentityProvider | None:
    return _PROVIDERS.get(name)
