"""Benchmark (3) of issue 4: serving repomd.xml and .rpm redirects at 64 concurrent clients,
Olivine (uvicorn) against nginx serving the same files from disk, both measured with wrk.
Targets: at least a quarter of nginx's request rate, p99 under 50 ms.

Run: .venv/bin/python bench/repos_serve.py [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from repos_common import CACHE, ROOT, SPEC, make_project

from olivine.db.base import Database
from olivine.db.migrate import upgrade
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.export import write_repo_tree
from olivine.repos.publish import publish_project
from olivine.storage.fs import FsStore

PULP = ROOT.parent / "shared" / "fixtures" / "pulp-fixtures" / "rpm" / "assets"
RPM = "Packages/b/bear-4.1-1.noarch.rpm"
NGINX_CONF = """daemon off; worker_processes {workers}; pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; keepalive_requests 100000;
  types {{ application/xml xml; application/x-rpm rpm; }}
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    assert m, out
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return rps, p99


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir=CACHE if CACHE.exists() else None, prefix="serve-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = f"sqlite:///{work / 'olivine.db'}"
        upgrade(url)
        db = Database(url)
        store = FsStore(work / "objects", "http://127.0.0.1", b"k" * 32)
        pid = make_project(db)
        for rpm in sorted(PULP.glob("*.rpm")):
            ingest_rpm(db, store, rpm, pid)
        publish_project(db, store, pid)
        tree = write_repo_tree(
            db, store, "bench", "BaseOS", "x86_64", work / "www" / "repo", packages=True
        )
        db.dispose()
        ng_port, api_port = free_port(), free_port()
        (work / "nginx.conf").write_text(
            NGINX_CONF.format(workers=a.workers, dir=work, port=ng_port, root=work / "www")
        )
        procs.append(
            subprocess.Popen(
                ["nginx", "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")]
            )
        )
        env = {
            **os.environ,
            "OLIVINE_BENCH_DB": url,
            "OLIVINE_BENCH_OBJECTS": str(work / "objects"),
            "OLIVINE_BENCH_URL": f"http://127.0.0.1:{api_port}",
        }
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--app-dir",
                    str(Path(__file__).parent),
                    "--workers",
                    str(a.workers),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(api_port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "repos_serve_app:app",
                ],
                env=env,
            )
        )
        wait_port(ng_port)
        wait_port(api_port)
        time.sleep(1.5)
        assert tree.exists()
        rows = []
        for label, path in (("repomd.xml", "repodata/repomd.xml"), (".rpm", RPM)):
            ng = wrk(f"http://127.0.0.1:{ng_port}/repo/{path}", a.seconds)
            ol = wrk(f"http://127.0.0.1:{api_port}/repos/bench/BaseOS/x86_64/{path}", a.seconds)
            rows.append((label, ol, ng))
        print(
            f"{'request':12} | {'olivine rps':>11} | {'p99 ms':>7} | {'nginx rps':>9} | "
            f"{'p99 ms':>7} | share of nginx"
        )
        for label, (orps, op99), (nrps, np99) in rows:
            print(
                f"{label:12} | {orps:11.0f} | {op99:7.2f} | {nrps:9.0f} | {np99:7.2f} | "
                f"{orps / nrps:.2f}"
            )
        print("targets: share >= 0.25, olivine p99 < 50 ms (64 connections, wrk -t2)")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM if p.args[0] != "nginx" else signal.SIGQUIT)
            p.wait(15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    _ = SPEC
    main()
