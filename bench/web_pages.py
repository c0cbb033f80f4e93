"""What a UI page costs next to the API call that serves the same list: server time (median of
N requests through the real app, in process) and bytes on the wire, plain and gzip-compressed
(what a slow link carries). A project of P packages, each imported and built for two arches, and
T tasks with logs; SQLite in a temporary directory.

    .venv/bin/python bench/web_pages.py [--packages 2000] [--tasks 5000] [--runs 30]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from olivine.app import create_app
from olivine.auth.service import AuthService
from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.migrate import upgrade
from olivine.db.models import Build, ImportRevision, Task, TaskLog
from olivine.projects.loader import load_project_text
from olivine.projects.service import ProjectService
from olivine.services import Services

UPSTREAM = (
    'upstream: {kind: dist-git, url: "https://git.example.org/rpms/{name}.git", branch: c9}\n'
)


def seed(db: Database, packages: int, tasks: int) -> None:
    names = [f"pkg{i:05d}" for i in range(packages)]
    text = (
        "name: big\narches: [x86_64, aarch64]\ndist: .el9\n"
        + UPSTREAM
        + "packages:\n"
        + "".join(f"  - name: {n}\n" for n in names)
    )
    res = ProjectService(db).apply(load_project_text(text), None)
    pid = res.project_id
    svc = ProjectService(db)
    with db.session() as s:
        for n in names:
            _, pkg = svc.package_id("big", n)
            rev = ImportRevision(
                project_id=pid,
                package_id=pkg,
                upstream_kind="dist-git",
                upstream_url=f"https://example.org/{n}.git",
                forge_repo=f"big/rpms/{n}",
                forge_branch="r9",
                forge_commit="c" * 40,
                forge_tag=f"imports/r9/{n}-1-1",
                version="1.0",
                release="1.el9",
            )
            s.add(rev)
            s.flush()
            s.add(
                Build(
                    project_id=pid,
                    package_id=pkg,
                    import_revision_id=rev.id,
                    status="complete",
                    version="1.0",
                    release="1.el9",
                    arches=["x86_64", "aarch64"],
                )
            )
        for i in range(tasks):
            t = Task(kind="build", status="succeeded", project_id=pid, summary=f"build {i}")
            s.add(t)
            s.flush()
            s.add(TaskLog(task_id=t.id, seq=0, text="line\n" * 50))


def measure(c: TestClient, url: str, headers: dict[str, str], runs: int) -> tuple[float, int, int]:
    times = []
    body = b""
    for _ in range(runs):
        start = time.perf_counter()
        r = c.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        body = r.content
    return statistics.median(times) * 1000, len(body), len(gzip.compress(body))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=2000)
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/olivine.db"
        upgrade(url)
        db = Database(url)
        seed(db, args.packages, args.tasks)
        token = AuthService(db).ensure_admin_token()
        assert token is not None
        api = {"Authorization": f"Bearer {token.secret}"}
        settings = Settings(data_dir=Path(d), database_url=url)
        c = TestClient(create_app(settings, Services(settings, db)))
        task_id = args.tasks // 2
        pairs = [
            ("packages (100)", "/projects/big", "/api/v1/projects/big/packages?limit=100"),
            ("tasks (50)", "/tasks", "/api/v1/tasks?limit=50"),
            ("tasks live part", "/tasks?partial=rows", "/api/v1/tasks?limit=50"),
            ("one task + log", f"/tasks/{task_id}", f"/api/v1/tasks/{task_id}/logs"),
        ]
        print(f"{args.packages} packages, {args.tasks} tasks; median of {args.runs} requests")
        print(
            f"{'page':16} {'UI ms':>7} {'API ms':>7} {'ratio':>6} {'UI kB':>7} {'gz kB':>6} "
            f"{'API kB':>7} {'gz kB':>6}"
        )
        for label, page, ref in pairs:
            ui = measure(c, page, {}, args.runs)
            js = measure(c, ref, api, args.runs)
            print(
                f"{label:16} {ui[0]:7.1f} {js[0]:7.1f} {ui[0] / js[0]:6.2f} {ui[1] / 1024:7.1f} "
                f"{ui[2] / 1024:6.1f} {js[1] / 1024:7.1f} {js[2] / 1024:6.1f}"
            )
        static = sum(measure(c, f"/static/{n}", {}, 1)[2] for n in ("style.css", "olivine.js"))
        print(f"static (css+js, cached 1 h): {static / 1024:.1f} kB gzip")
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
