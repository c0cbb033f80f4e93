"""Deep, malformed or out-of-range input ends as a typed 4xx (422 naming the problem), never a
5xx: integers above 2^63 or negative in paths and queries, invalid UTF-8, deep JSON, NUL."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Stack

BIG = str(2**64)
OUT_OF_RANGE = [
    f"/api/v1/tasks/{BIG}",
    f"/api/v1/tasks/{BIG}/logs",
    f"/api/v1/tasks/1/logs?after={BIG}",
    f"/api/v1/tasks?parent={BIG}",
    f"/api/v1/tasks?offset={BIG}",
    f"/api/v1/builds/{BIG}",
    f"/api/v1/builds/{BIG}/files",
    f"/api/v1/build-batches/{BIG}",
    f"/api/v1/projects/p/import-batches/{BIG}",
    "/api/v1/projects/p/packages/bash/imports?limit=-1",
    f"/api/v1/projects/p/packages/bash/imports?limit={BIG}",
    "/api/v1/builds/-1",
    "/api/v1/tasks/0",
]
# web pages whose parameters the catch-all (api/errors.py) bounds
WEB_OUT_OF_RANGE = [f"/tasks/{BIG}", f"/tasks?offset={BIG}", f"/tasks/{BIG}/log"]


def _unprocessable(r, needle: str = "") -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = str(r.json()["detail"])
    assert needle in detail
    return detail


@pytest.mark.parametrize("path", OUT_OF_RANGE)
def test_out_of_range_integers_in_paths_and_queries(stack: Stack, path: str) -> None:
    r = stack.client.get(path, headers=stack.as_(stack.admin_token))
    detail = _unprocessable(r)
    assert "should be greater than" in detail or "should be less than" in detail


@pytest.mark.parametrize("path", WEB_OUT_OF_RANGE)
def test_out_of_range_integers_on_pages(stack: Stack, path: str) -> None:
    _unprocessable(stack.client.get(path), "out of range")


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", f"/api/v1/tokens/{BIG}"), ("POST", f"/api/v1/tasks/{BIG}/cancel")],
)
def test_out_of_range_integers_in_writes(stack: Stack, method: str, path: str) -> None:
    _unprocessable(stack.client.request(method, path, headers=stack.as_(stack.admin_token)))


def test_out_of_range_integer_in_a_body(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    r = stack.client.post(
        "/api/v1/projects/apply", headers=h, json={"file": "name: p\n", "wait": 2**64}
    )
    _unprocessable(r, "wait")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"file": "\xff\xfe"}', "not valid UTF-8"),
        (b"[" * 100_000, "nests too deeply"),
        (b'{"file": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nests too deeply"),
        (b'{"file": "name: a\\u0000b"}', "unacceptable character #x0000"),
    ],
    ids=["invalid-utf8", "deep-json", "deep-json-in-a-field", "nul-in-yaml"],
)
def test_malformed_bodies(stack: Stack, body: bytes, needle: str) -> None:
    h = {**stack.as_(stack.admin_token), "Content-Type": "application/json"}
    _unprocessable(stack.client.post("/api/v1/projects/apply", headers=h, content=body), needle)


def test_nul_in_names(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    r = stack.client.get("/api/v1/projects/a%00b", headers=h)
    assert r.status_code in (404, 422), r.text  # SQLite looks it up; PostgreSQL cannot hold it
    r = stack.client.post("/api/v1/users", headers=h, json={"name": "a\x00b"})
    assert r.status_code == 422 and "is not valid" in r.json()["detail"]
    r = stack.client.post("/api/v1/tokens", headers=h, json={"name": "ci\x00"})
    assert r.status_code in (201, 422), r.text


def test_too_many_validation_errors_are_summed_up(stack: Stack) -> None:
    h = stack.as_(stack.admin_token)
    r = stack.client.post(
        "/api/v1/projects/p/import-batch", headers=h, json={"packages": [1] * 100_000}
    )
    detail = _unprocessable(r)
    assert "and 99990 more" in detail and len(r.content) < 2000
