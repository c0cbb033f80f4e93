"""The sandbox: what a build can and cannot reach, and how it is stopped."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from olivine.builds.sandbox import SandboxSpec, run_sandboxed, sandbox_pids

from .conftest import Log

PG_SOCKET = Path("/var/run/postgresql/.s.PGSQL.5432")


def _run(tmp: Path, script: str, **kw: object) -> tuple[object, Log]:
    build = tmp / "build"
    build.mkdir(parents=True, exist_ok=True)
    log = Log()
    spec = SandboxSpec(build_dir=build, command=["/bin/bash", "-c", script], **kw)  # type: ignore[arg-type]
    return run_sandboxed(spec, log), log


def _probe(what: str, cmd: str) -> str:
    return f"if {cmd} 2>/dev/null; then echo '{what}: REACHED'; else echo '{what}: blocked'; fi"


def test_sandbox_cannot_reach_network_data_dir_database_or_other_builds(tmp_path: Path) -> None:
    data_dir = tmp_path / "olivine-data"
    data_dir.mkdir()
    (data_dir / "admin-token").write_text("secret")
    other = tmp_path / "other-build"
    other.mkdir()
    (other / "x.spec").write_text("x")
    with socket.socket() as listener:  # a service on the host's loopback
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probes = [
            _probe("loopback", f"exec 3<>/dev/tcp/127.0.0.1/{port}"),
            _probe("postgres-tcp", "exec 3<>/dev/tcp/127.0.0.1/5432"),
            _probe("internet", "exec 3<>/dev/tcp/1.1.1.1/80"),
            _probe("data-dir", f"cat {data_dir}/admin-token"),
            _probe("other-build", f"cat {other}/x.spec"),
            _probe("pg-socket", f"test -e {PG_SOCKET}"),
            _probe("run", "ls /run/postgresql /var/run/postgresql"),
            _probe("home", "ls /root /home"),
            _probe("write-usr", "touch /usr/olivine-x"),
            _probe("write-etc", "touch /etc/olivine-x"),
            _probe("write-root", "touch /olivine-x"),
            _probe("write-build", "touch /build/ok"),
            _probe("write-tmp", "touch /tmp/ok /var/tmp/ok"),
            _probe("compiler", "gcc --version"),
        ]
        _, log = _run(tmp_path, "\n".join(probes))
    out = dict(line.split(": ", 1) for line in log.lines if ": " in line)
    for what in (
        "loopback",
        "postgres-tcp",
        "internet",
        "data-dir",
        "other-build",
        "pg-socket",
        "run",
        "home",
        "write-usr",
        "write-etc",
        "write-root",
    ):
        assert out[what] == "blocked", what
    for what in ("write-build", "write-tmp", "compiler"):
        assert out[what] == "REACHED", what
    assert (tmp_path / "build" / "ok").exists()
    if PG_SOCKET.exists():  # the host has it; the sandbox does not
        assert out["pg-socket"] == "blocked"


def test_output_is_streamed_while_running(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    start = time.monotonic()
    build = tmp_path / "build"
    build.mkdir()
    spec = SandboxSpec(build, ["/bin/bash", "-c", "echo one; sleep 1; echo two"])
    run_sandboxed(spec, lambda line: seen.append((time.monotonic() - start, line)))
    assert [s for _, s in seen] == ["one", "two"]
    assert seen[0][0] < seen[1][0] - 0.5  # "one" arrived before the sleep ended


def test_cancel_kills_every_process_of_the_build(tmp_path: Path) -> None:
    tag = f"{os.getpid()}{int(time.time())}"
    script = (
        f"sleep 1000{tag} & (setsid sleep 1001{tag} &) ; nohup sleep 1002{tag} >/dev/null & "
        "echo started; wait"
    )
    script = script.replace(f"1000{tag}", f"1000.{tag}").replace(f"1001{tag}", f"1001.{tag}")
    script = script.replace(f"1002{tag}", f"1002.{tag}")
    log = Log()
    build = tmp_path / "build"
    build.mkdir()
    spec = SandboxSpec(build, ["/bin/bash", "-c", script])
    res = run_sandboxed(spec, log, cancelled=lambda: "started" in log.lines)
    assert res.cancelled and res.returncode is None
    assert res.leftover == ()
    time.sleep(0.5)
    assert sandbox_pids(res.marker) == []
    alive = [
        p.name for p in Path("/proc").iterdir() if p.name.isdigit() and tag.encode() in _cmdline(p)
    ]
    assert alive == []


def _cmdline(p: Path) -> bytes:
    try:
        return (p / "cmdline").read_bytes()
    except OSError:
        return b""


def test_time_limit_stops_the_build(tmp_path: Path) -> None:
    res, _ = _run(tmp_path, "echo go; sleep 60", time_limit=1.0)
    assert res.timed_out and res.duration < 15  # type: ignore[attr-defined]


def test_log_size_limit_stops_the_build(tmp_path: Path) -> None:
    res, log = _run(tmp_path, "yes olivine | head -c 50000000", log_limit=100_000)
    assert res.log_truncated  # type: ignore[attr-defined]
    assert sum(len(s) + 1 for s in log.lines) < 2_000_000


@pytest.mark.parametrize("threads", [4])
def test_parallel_sandboxes_do_not_see_each_other(tmp_path: Path, threads: int) -> None:
    results: dict[int, list[str]] = {}

    def one(i: int) -> None:
        d = tmp_path / f"b{i}"
        d.mkdir()
        log = Log()
        run_sandboxed(SandboxSpec(d, ["/bin/bash", "-c", f"echo {i} > /build/me; ls /build"]), log)
        results[i] = log.lines

    ts = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(results[i] == ["me"] for i in range(threads))
    assert all((tmp_path / f"b{i}" / "me").read_text() == f"{i}\n" for i in range(threads))
