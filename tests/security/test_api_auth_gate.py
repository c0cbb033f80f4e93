"""An anonymous write is answered 401 from its headers alone: whatever its body, whatever its
size, and before a byte of it is read (issue 9, "The API bounds what it reads")."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import Stack
from tests.security.rawhttp import peak_rss, reset_peak_rss, stream

MB = 1024 * 1024
WRITES = {"post", "put", "patch", "delete"}


def _write_operations(stack: Stack) -> list[tuple[str, str]]:
    doc = stack.client.get("/openapi.json").json()
    ops = []
    for path, item in doc["paths"].items():
        for method in item.keys() & WRITES:
            ops.append((method.upper(), re.sub(r"\{[^}]+\}", "x", path)))
    return sorted(ops)


def test_every_api_write_is_401_before_validation(stack: Stack) -> None:
    ops = _write_operations(stack)
    assert len(ops) >= 15
    for method, path in ops:
        for body in ({"content": b"\xff\xfe not json"}, {"json": {"unknown": [1] * 1000}}):
            r = stack.client.request(method, path, **body)  # type: ignore[arg-type]
            assert r.status_code == 401, f"{method} {path}: {r.status_code} {r.text[:200]}"
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "Basic" in r.headers["www-authenticate"]


def test_a_bad_token_is_401_before_the_body(stack: Stack) -> None:
    h = {"Authorization": "Bearer olv_not-a-token"}
    r = stack.client.post("/api/v1/projects/apply", headers=h, content=b"\xff" * 10)
    assert r.status_code == 401 and "not valid" in r.json()["detail"]


def test_web_actions_are_401_without_a_session(stack: Stack) -> None:
    for path in ("/apply", "/projects/x/publish", "/tasks/1/cancel", "/tokens"):
        r = stack.client.post(path, data={"text": "name: x"})
        assert r.status_code == 401 and "text/html" in r.headers["content-type"], path
        assert "Sign in" in r.text
    # signing in is the one form anyone may post: past the gate, it wants its CSRF token
    r = stack.client.post("/login", data={"token": "olv_x"})
    assert r.status_code == 403 and "CSRF" in r.text


def test_answered_before_a_byte_of_body_is_sent(stack: Stack, live_url: str) -> None:
    """300 MB declared, nothing sent: the server answers from the headers and hangs up."""
    a = stream(live_url, "POST", "/api/v1/projects/apply", 0, declared=300 * MB)
    assert a.status == 401 and b"needs an API token" in a.body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_300_mb_anonymous_body_with_bounded_memory(
    stack: Stack, live_url: str, chunked: bool
) -> None:
    before = reset_peak_rss()
    a = stream(live_url, "POST", "/api/v1/projects/apply", 300 * MB, chunked=chunked,
               headers={"Content-Type": "application/json"})  # fmt: skip
    growth = peak_rss() - before
    how = "chunked" if chunked else "content-length"
    print(f"\n300 MB anonymous body ({how}): {a.status}, peak RSS growth {growth / MB:.1f} MB")
    assert a.status == 401
    assert growth < 50 * MB
