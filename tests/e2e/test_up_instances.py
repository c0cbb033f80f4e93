"""`olivine up` beside another instance, and a worker that dies under it."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from pathlib import Path

import pytest

from olivine.supervisor import free_port
from tests.e2e.test_up import EXAMPLE, _children_of, cli, olivine_up

pytestmark = pytest.mark.slow


@pytest.fixture
def no_fixed_temporal_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let each instance choose its own dev server ports, as a user's `olivine up` does."""
    import tests.e2e.test_up as up

    original = up._env

    def env(data: Path) -> dict[str, str]:
        e = original(data)
        e.pop("OLIVINE_TEMPORAL_PORT")
        return e

    monkeypatch.setattr(up, "_env", env)


def _wait_task(data: Path, status: str = "succeeded") -> list[str]:
    for _ in range(300):
        tasks = json.loads(cli(data, "task", "list", "--json").stdout)["items"]
        if tasks and all(t["status"] == status for t in tasks):
            return [t["status"] for t in tasks]
        time.sleep(0.2)
    raise AssertionError(f"tasks never all {status}: {tasks}")


def test_two_instances_side_by_side(tmp_path: Path, no_fixed_temporal_port: None) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with olivine_up(a, free_port()) as (_, lines_a), olivine_up(b, free_port()) as (_, lines_b):
        ports_a = json.loads((a / "temporal-ports.json").read_text())
        ports_b = json.loads((b / "temporal-ports.json").read_text())
        assert ports_a["grpc"] != ports_b["grpc"]
        for data, lines, ports in ((a, lines_a, ports_a), (b, lines_b, ports_b)):
            out = "".join(lines)
            assert f"Temporal      127.0.0.1:{ports['grpc']}" in out
            assert "/repos/<project>/<repo>/<arch>/" in out and "/api/v1" in out
            applied = cli(data, "project", "apply", str(EXAMPLE))
            assert applied.returncode == 0, applied.stderr
            assert _wait_task(data) == ["succeeded"]
        assert stat.S_IMODE(a.stat().st_mode) == 0o700
        assert stat.S_IMODE((a / "logs").stat().st_mode) == 0o700
        assert stat.S_IMODE((a / "instance.json").stat().st_mode) == 0o600


def test_a_killed_worker_is_started_again(tmp_path: Path) -> None:
    data = tmp_path / "olivine"
    with olivine_up(data, free_port()) as (proc, lines):
        [worker] = [c for c in _children_of(proc.pid) if "worker" in c]
        os.kill(int(worker.split()[0]), signal.SIGKILL)
        for _ in range(100):
            after = [c for c in _children_of(proc.pid) if "worker" in c]
            if after and after != [worker]:
                break
            time.sleep(0.1)
        assert after and after != [worker], "no new worker process"
        applied = cli(data, "project", "apply", str(EXAMPLE))
        assert applied.returncode == 0, applied.stderr
        assert _wait_task(data) == ["succeeded"]
    out = "".join(lines)
    assert "the worker exited with code -9; started it again (restart 1)" in out
