"""`olivine up` as a user drives it: start on an empty data directory, apply a project file, list
it over the API and the CLI, stop with Ctrl-C, start again and find everything still there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from olivine.supervisor import free_port

OLIVINE = str(Path(sys.executable).parent / "olivine")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/projects/el9-dist-git.yaml"
pytestmark = pytest.mark.slow


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLIVINE_")}
    env["OLIVINE_TEMPORAL_PORT"] = str(free_port())
    env["HOME"] = str(data.parent)  # no saved login interferes
    return env


@contextmanager
def olivine_up(
    data: Path, port: int, *extra: str
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc = subprocess.Popen(
        [OLIVINE, "up", "--data-dir", str(data), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(data),
    )
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "olivine: serving" in line:
            break
    assert any("olivine: serving" in x for x in lines), "".join(lines)
    _wait_healthy(port)
    try:
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=60)
            lines.append(rest)


def _wait_healthy(port: int) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("olivine up never became healthy")


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OLIVINE, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=_env(data),
        timeout=120,
    )


def _children_of(pid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines()[1:] if line.split()[1] == str(pid)]


def test_up_apply_stop_resume(tmp_path: Path) -> None:
    data = tmp_path / "olivine"
    port = free_port()
    with olivine_up(data, port) as (proc, lines):
        out = "".join(lines)
        token = (data / "admin-token").read_text().strip()
        assert token in out and token.startswith("olv_")
        assert (data / "admin-token").stat().st_mode & 0o777 == 0o600
        children = _children_of(proc.pid)  # the Temporal dev server, a worker, the signer
        assert len(children) == 3, children
        [signer] = [c for c in children if "olivine-sign" in c]
        assert signer  # its own uid where the data directory lets one in: test_up_instances

        second = subprocess.run(
            [OLIVINE, "up", "--data-dir", str(data), "--port", str(free_port())],
            capture_output=True,
            text=True,
            env=_env(data),
            timeout=60,
        )
        assert second.returncode != 0 and "another `olivine up` is running" in second.stderr

        applied = cli(data, "project", "apply", str(EXAMPLE))
        assert applied.returncode == 0, applied.stderr
        assert "project el9 created" in applied.stdout and "added package bash" in applied.stdout

        api = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects").json()
        assert [p["name"] for p in api] == ["el9"]
        listed = json.loads(cli(data, "project", "list", "--json").stdout)
        assert listed[0]["name"] == "el9" and listed[0]["arches"] == ["x86_64", "aarch64"]
        pkgs = cli(data, "package", "list", "el9")
        assert "dmidecode" in pkgs.stdout

        bad = cli(data, "project", "show", "nope")
        assert bad.returncode == 1 and bad.stderr.strip() == (
            "olivine: project nope does not exist (HTTP 404)"
        )
    assert proc.returncode == 0
    assert "olivine: stopped" in "".join(lines)
    assert _children_of(proc.pid) == []
    assert not (data / "instance.json").exists()

    with olivine_up(data, port) as (proc, lines):
        out = "".join(lines)
        assert "admin token is in" in out and token not in out
        again = cli(data, "project", "apply", str(EXAMPLE))
        assert again.returncode == 0 and "unchanged" in again.stdout
        shown = json.loads(cli(data, "project", "show", "el9", "--json").stdout)
        assert shown["spec"]["dist"] == ".el9"
        tasks = json.loads(cli(data, "task", "list", "--json").stdout)
        assert [t["status"] for t in tasks["items"]] == ["succeeded", "succeeded"]
        logs = cli(data, "task", "logs", str(tasks["items"][-1]["id"]), "--follow")
        assert "added package dmidecode" in logs.stdout
    assert proc.returncode == 0
