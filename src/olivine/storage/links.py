"""Expiring signed links to objects of the local store (`/objects/<sha256>?e=..&s=..`)."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(key: bytes, sha256: str, expires_at: int) -> str:
    msg = f"{sha256}:{expires_at}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


def signed_query(key: bytes, sha256: str, expires: int) -> str:
    expires_at = int(time.time()) + expires
    return f"e={expires_at}&s={sign(key, sha256, expires_at)}"


def verify(key: bytes, sha256: str, expires_at: int, signature: str) -> bool:
    if expires_at < time.time():
        return False
    return hmac.compare_digest(sign(key, sha256, expires_at), signature)
