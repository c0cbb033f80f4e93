"""The browser session: a signed cookie naming a session id and, once logged in, the sha256 of
the API token the user logged in with (never the token itself). CSRF tokens are an HMAC of the
session id, so they are tied to the session and checked server-side on every form POST.

Signing is a plain HMAC-SHA256 over the payload with a key derived from the per-data-directory
secret (Settings.secret_key()); the standard library is all it takes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

COOKIE = "olivine_session"
MAX_AGE = 14 * 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class WebSession:
    sid: str
    token_hash: str | None = None
    issued: int = field(default_factory=lambda: int(time.time()))
    dirty: bool = False  # the response must (re)set the cookie

    @classmethod
    def fresh(cls, token_hash: str | None = None) -> WebSession:
        return cls(secrets.token_urlsafe(18), token_hash, dirty=True)


class SessionCodec:
    """Encodes sessions to cookie values and back; a tampered or stale cookie reads as None."""

    def __init__(self, secret: bytes) -> None:
        self._sign_key = hmac.new(secret, b"olivine-web-session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, b"olivine-web-csrf", hashlib.sha256).digest()

    def dumps(self, s: WebSession) -> str:
        payload = _b64(json.dumps({"sid": s.sid, "th": s.token_hash, "iat": s.issued}).encode())
        return f"v1.{payload}.{self._sig(payload)}"

    def loads(self, value: str | None, now: float | None = None) -> WebSession | None:
        if not value:
            return None
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            return None
        _, payload, sig = parts
        if not hmac.compare_digest(sig, self._sig(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            sess = WebSession(str(data["sid"]), data.get("th"), int(data["iat"]))
        except (ValueError, KeyError, TypeError):
            return None
        if (now or time.time()) - sess.issued > MAX_AGE:
            return None
        return sess

    def csrf_token(self, s: WebSession) -> str:
        return _b64(hmac.new(self._csrf_key, s.sid.encode(), hashlib.sha256).digest())

    def csrf_valid(self, s: WebSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(s), token or "")

    def _sig(self, payload: str) -> str:
        return _b64(hmac.new(self._sign_key, payload.encode(), hashlib.sha256).digest())
