"""`olivine up --demo` as a new user runs it: the demo imports, builds and publishes its three
packages, says so truthfully, and no build log holds an rpm error or warning."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from olivine.supervisor import free_port
from tests.e2e.test_up import cli, olivine_up

pytestmark = pytest.mark.slow


def test_demo_builds_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "olivine"
    with olivine_up(data, free_port(), "--demo") as (proc, lines):
        assert proc.stdout is not None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "olivine demo: done" in line or "failed" in line or not line:
                break
        out = "".join(lines)
        assert "olivine demo: build of every package succeeded" in out, out
        assert "olivine demo: done" in out
        assert "HTTP Request:" not in out  # httpx's INFO lines stay out of the messages
        tasks = json.loads(cli(data, "task", "list", "--json", "--limit", "200").stdout)["items"]
        for task in tasks:
            assert task["status"] == "succeeded", task
            logs = cli(data, "task", "logs", str(task["id"])).stdout
            for bad in ("error:", "warning: %changelog not in descending"):
                assert bad not in logs.lower(), (task["summary"], logs[-2000:])
