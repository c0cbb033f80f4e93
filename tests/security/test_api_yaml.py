"""Project files are parsed off the event loop by a bounded loader: an alias bomb is refused at
once while other requests go on; deep nesting is a 422 naming the line; a file too large for
the workflow that applies it is refused before any task exists."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.conftest import Stack, project_yaml
from tests.unit.projects.test_loader_bounds import alias_bomb

APPLY = "/api/v1/projects/apply"


def _timed(client: httpx.Client, method: str, path: str, **kw: object) -> tuple[int, str, float]:
    client.get("/healthz")  # connected and warm: what is timed is the server's answer
    start = time.perf_counter()
    r = client.request(method, path, **kw)  # type: ignore[arg-type]
    return r.status_code, r.text, time.perf_counter() - start


def test_alias_bomb_is_refused_while_other_requests_are_answered(
    stack: Stack, live_url: str
) -> None:
    bomb = {"file": alias_bomb() + project_yaml("bomb"), "filename": "bomb.yaml"}
    assert len(alias_bomb()) < 500
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    with (
        httpx.Client(base_url=live_url, headers=admin, timeout=120) as c1,
        httpx.Client(base_url=live_url, timeout=120) as c2,
        ThreadPoolExecutor(2) as pool,
    ):
        bombed = pool.submit(_timed, c1, "POST", APPLY, json=bomb)
        time.sleep(0.01)  # the bomb goes first
        other = pool.submit(_timed, c2, "GET", "/api/v1/projects")
        (status, text, bomb_secs), (status2, _, other_secs) = bombed.result(), other.result()
    print(f"\nalias bomb refused in {bomb_secs:.3f} s; a concurrent GET took {other_secs:.3f} s")
    assert status == 422 and '"detail":"bomb.yaml:' in text, text
    assert "aliases that expand to more than" in text
    assert status2 == 200
    assert bomb_secs < 1 and other_secs < 1


def test_thousand_deep_yaml_is_422_naming_the_line(stack: Stack) -> None:
    text = project_yaml("deep") + "description: " + "[" * 1000 + "]" * 1000 + "\n"
    r = stack.client.post(APPLY, headers=stack.as_(stack.admin_token), json={"file": text})
    assert r.status_code == 422, r.text
    line = text.count("\n")  # the last line, where the nesting is
    assert "nesting deeper than" in r.json()["detail"] and f":{line}:" in r.json()["detail"]


def _apply_tasks(stack: Stack) -> int:
    r = stack.client.get(
        "/api/v1/tasks", params={"kind": "project-apply"}, headers=stack.as_(stack.admin_token)
    )
    return int(r.json()["total"])


def test_a_description_too_large_for_temporal_makes_no_task(stack: Stack) -> None:
    before = _apply_tasks(stack)
    for size in (1_500_000, 3_900_000):  # under and over Temporal's own 2 MB
        text = project_yaml("huge") + f"description: {'d' * size}\n"
        r = stack.client.post(APPLY, headers=stack.as_(stack.admin_token), json={"file": text})
        assert r.status_code == 413, r.text[:300]
        assert "more than the 1024 KiB a task may carry" in r.json()["detail"]
    assert _apply_tasks(stack) == before
    assert stack.client.get("/api/v1/projects/huge").status_code == 404


def test_a_slow_project_file_from_the_web_form_leaves_other_requests_answered(
    stack: Stack, live_url: str
) -> None:
    """The web UI's apply form parses off the event loop too: a 390 KB file takes the loader
    seconds (here refused for its unknown key, at the end), while requests sent all along are
    answered at once."""
    from tests.integration.web.seed import csrf_of

    slow = project_yaml("slow") + "extra:\n" + "".join(f"  k{i}: [a, b]\n" for i in range(20000))
    with (
        httpx.Client(base_url=live_url, timeout=120, follow_redirects=True) as web,
        httpx.Client(base_url=live_url, timeout=120) as other,
        ThreadPoolExecutor(1) as pool,
    ):
        login = {"token": stack.admin_token, "csrf": csrf_of(web.get("/login").text)}
        csrf = csrf_of(web.post("/login", data=login).text)
        applied = pool.submit(_timed, web, "POST", "/apply", data={"text": slow, "csrf": csrf})
        waits = []
        while not applied.done():
            start = time.perf_counter()
            assert other.get("/api/v1/projects").status_code == 200
            waits.append(time.perf_counter() - start)
            time.sleep(0.05)
        status, text, apply_secs = applied.result()
    print(f"\nweb apply answered in {apply_secs:.3f} s; {len(waits)} requests meanwhile, "
          f"the slowest {max(waits):.3f} s")  # fmt: skip
    assert status == 422 and "unknown key" in text and "extra" in text, text[-500:]
    assert apply_secs > 1 and max(waits) < 1
