"""`olivine up` serves the UI at / from the same process as the API: sign in with the admin token
it wrote, apply the example project file from the UI, and find the project and its packages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from olivine.supervisor import free_port
from tests.e2e.test_up import EXAMPLE, olivine_up

pytestmark = pytest.mark.slow


def csrf(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert m, html[:300]
    return m.group(1)


def test_up_serves_the_ui(tmp_path: Path) -> None:
    data = tmp_path / "olivine"
    port = free_port()
    with olivine_up(data, port):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as web:
            home = web.get("/")
            assert home.status_code == 200 and "<h1>Projects</h1>" in home.text
            assert web.get("/static/style.css").status_code == 200
            token = (data / "admin-token").read_text().strip()
            r = web.post("/login", data={"token": token, "csrf": csrf(web.get("/login").text)})
            assert r.status_code == 200 and "Sign out" in r.text
            r = web.post("/apply", data={"text": EXAMPLE.read_text(), "csrf": csrf(r.text)})
            assert r.status_code == 200 and re.search(r"/tasks/\d+$", str(r.url)), r.text
            deadline = time.monotonic() + 60
            while 's-succeeded">succeeded' not in r.text and time.monotonic() < deadline:
                time.sleep(0.3)
                r = web.get(str(r.url))
            assert "added package dmidecode" in r.text
            project = web.get("/projects/el9")
            assert project.status_code == 200 and "dmidecode" in project.text
        anon = httpx.get(f"{base}/projects/el9", timeout=30)
        assert anon.status_code == 200 and "/import" not in anon.text
