"""`olivine up --demo` with its build worker killed in the middle of an arch build (issue 9: "a
killed worker is replaced and its build completes once"): `olivine up` says it started the
worker again, the new worker removes what the dead one left, the build is retried once the
activity's heartbeat times out, and every package ends with one build, every task succeeded and
each binary RPM once in the repository."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from olivine.builds.demo import PACKAGES
from olivine.supervisor import free_port
from tests.e2e.test_up import _children_of, olivine_up

pytestmark = pytest.mark.slow

WORKER = "olivine.cli worker"  # the build worker's command line ends so; the signer's does not
RESTARTED = "the worker exited with code -9; started it again (restart 1)"


def _procs() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, args) of every process."""
    out = subprocess.run(
        ["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True
    ).stdout
    procs: dict[int, tuple[int, str]] = {}
    for line in out.splitlines()[1:]:
        pid, ppid, *args = line.split(None, 2)
        procs[int(pid)] = (int(ppid), args[0] if args else "")
    return procs


def _descends(pid: int, ancestor: int, procs: dict[int, tuple[int, str]]) -> bool:
    seen = 0
    while pid in procs and seen < 64:
        pid, seen = procs[pid][0], seen + 1
        if pid == ancestor:
            return True
    return False


def _arch_rpmbuilds(worker: int) -> list[int]:
    """The rpmbuild processes of an arch build below the worker: `--rebuild` of an SRPM, or
    `-ba` of a batch's single-arch build made in one sandbox run (builds/whole.py); not the
    `-bs` of an SRPM step."""
    procs = _procs()
    return [
        pid
        for pid, (_, args) in procs.items()
        if re.match(r"(\S*/)?rpmbuild ", args) and re.search(r" (--rebuild|-ba) ", args)
        if _descends(pid, worker, procs)
    ]


def _worker_dir(pid: int) -> Path | None:
    """The worker's own build directory (it holds `<workspace>/worker-<id>/.lock` open)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.name == ".lock" and target.parent.name.startswith("worker-"):
            return target.parent
    return None


def _worker(up_pid: int) -> int:
    [worker] = [c for c in _children_of(up_pid) if c.endswith(WORKER)]
    return int(worker.split()[0])


def _read_lines(proc: subprocess.Popen[str], lines: list[str], done: threading.Event) -> None:
    """`olivine up`'s output until the demo ends (the main thread watches the processes)."""
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, ""):
        lines.append(line)
        if "olivine demo: done" in line or "olivine demo: failed" in line or "step failed" in line:
            break
    done.set()


def _primary(http: httpx.Client, project: str, repo: str, arch: str) -> list[str] | None:
    """The file names of the packages the served repodata of one repo arch lists."""
    repomd = http.get(f"/repos/{project}/{repo}/{arch}/repodata/repomd.xml")
    if repomd.status_code == 404:
        return None
    assert repomd.status_code == 200, repomd.text
    href = re.search(r'<location href="([^"]*primary\.xml[^"]*)"', repomd.text)
    assert href is not None, repomd.text
    raw = http.get(f"/repos/{project}/{repo}/{arch}/{href.group(1)}", follow_redirects=True)
    assert raw.status_code == 200 and href.group(1).endswith(".gz"), href.group(1)
    text = gzip.decompress(raw.content).decode()
    return [Path(loc).name for loc in re.findall(r'<location href="([^"]+\.rpm)"', text)]


def test_a_worker_killed_mid_build_is_replaced_and_the_build_completes_once(
    tmp_path: Path,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="olivine-e2e-", dir="/tmp"))
    os.chmod(base, 0o711)  # as the demo runs: the signer's uid reaches the data directory
    data = base / "olivine"
    try:
        _kill_during_demo(data)
    except BaseException:
        log = data / "logs" / "worker.log"
        print(log.read_text()[-4000:] if log.exists() else "no worker.log")
        raise
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _kill_during_demo(data: Path) -> None:
    port = free_port()
    with olivine_up(data, port, "--demo") as (proc, lines):
        token = (data / "admin-token").read_text().strip()
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        done = threading.Event()
        reader = threading.Thread(target=_read_lines, args=(proc, lines, done), daemon=True)
        reader.start()

        # an arch build of the demo running in the sandbox: its worker is SIGKILLed
        worker = _worker(proc.pid)
        dead_dir = _worker_dir(worker)
        deadline = time.monotonic() + 600
        builds: list[int] = []
        while not done.is_set() and time.monotonic() < deadline:
            builds = _arch_rpmbuilds(worker)
            if builds:
                break
            time.sleep(0.2)
        assert builds, "no arch build was seen running:\n" + "".join(lines)
        running = api.get("/api/v1/tasks", params={"kind": "build-arch", "status": "running"})
        killed_tasks = [t["id"] for t in running.json()["items"]]
        os.kill(worker, signal.SIGKILL)
        killed_at = time.monotonic()
        assert killed_tasks, running.text

        for _ in range(100):  # started again by `olivine up` within a second or two
            after = [c for c in _children_of(proc.pid) if c.endswith(WORKER)]
            if after and int(after[0].split()[0]) != worker:
                break
            time.sleep(0.1)
        new_worker = _worker(proc.pid)
        assert new_worker != worker

        done.wait(900)
        ended = time.monotonic() - killed_at
        out = "".join(lines)
        assert "olivine demo: build of every package succeeded" in out, out
        assert "olivine demo: done" in out, out
        assert RESTARTED in out, out

        # the build that was killed ran again and completed: once per package, nothing left open
        tasks = api.get("/api/v1/tasks", params={"limit": 500}).json()["items"]
        open_tasks = [t for t in tasks if t["status"] in ("pending", "running")]
        assert not open_tasks, open_tasks
        assert all(t["status"] == "succeeded" for t in tasks), [
            (t["id"], t["kind"], t["status"], t["error"]) for t in tasks
        ]
        killed = [api.get(f"/api/v1/tasks/{tid}").json() for tid in killed_tasks]
        assert all(t["status"] == "succeeded" for t in killed), killed
        listed = api.get("/api/v1/projects/demo/builds", params={"limit": 100}).json()["items"]
        by_package: dict[str, list[dict[str, Any]]] = {}
        for b in listed:
            by_package.setdefault(b["package"], []).append(b)
        assert sorted(by_package) == sorted(PACKAGES), listed
        for pkg, bs in by_package.items():
            assert [b["status"] for b in bs] == ["complete"], (pkg, bs)

        # each binary RPM of those builds is in the repository once
        built: list[str] = []
        for b in listed:
            files = api.get(f"/api/v1/builds/{b['id']}/files").json()
            built += [f["name"] for f in files if not f["name"].endswith(".src.rpm")]
        assert built and len(built) == len(set(built)), built
        served: list[str] = []
        [everything] = [r for r in api.get("/api/v1/projects/demo/repos").json()
                        if r["name"] == "all"]  # fmt: skip
        for arch in everything["arches"]:  # x86_64, x86_64-debug (and source: no binaries)
            if arch != "source":
                served += _primary(api, "demo", "all", arch) or []
        dupes = sorted({n for n in served if served.count(n) > 1})
        assert not dupes, dupes
        assert sorted(served) == sorted(built), (served, built)

        # the new worker removed the dead one's build directory (its volume, its cgroups)
        assert not any(pid in _procs() for pid in builds), "the killed build is still running"
        worker_log = (data / "logs" / "worker.log").read_text()
        assert dead_dir is not None and not dead_dir.exists(), dead_dir
        assert f"removed leftover {dead_dir}" in worker_log, worker_log[-3000:]
        print(
            f"\nkilled worker {worker} during {[t['summary'] for t in killed]}; "
            f"replaced by {new_worker}; the demo ended {ended:.0f} s after the kill"
        )
