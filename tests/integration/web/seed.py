"""Data for the UI tests, written through the services and tables the capabilities fill: two
projects (one private), users with roles, a failed build with its build root and log, an import
batch with a failed item, a published-looking repository revision."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from olivine.auth.service import AuthService
from olivine.db.base import Database, utcnow
from olivine.db.models import Batch, BatchItem, Build, BuildRoot, ImportRevision
from olivine.domain.nevra import NEVR
from olivine.imports import records
from olivine.projects.loader import load_project_text
from olivine.projects.service import ProjectService
from olivine.tasks.service import TaskService
from tests.integration.conftest import project_yaml

REASON = "BuildRequires not found: libfoo-devel >= 2"


@dataclass
class Seeded:
    admin: str
    builder: str
    guest: str
    manager: str
    build_task: int
    arch_task: int
    private_task: int
    batch_id: int


def _user(auth: AuthService, name: str, admin: bool = False) -> str:
    auth.create_user(name, admin=admin)
    return auth.create_token(name, name=f"{name} token").secret


def seed(db: Database) -> Seeded:
    auth = AuthService(db)
    projects = ProjectService(db)
    pub = projects.apply(load_project_text(project_yaml("pub")), None)
    priv = projects.apply(load_project_text(project_yaml("priv", public=False)), None)
    tokens = {n: _user(auth, n) for n in ("bob", "gus", "meg")}
    admin = _user(auth, "ada", admin=True)
    auth.grant("pub", "bob", "builder", None)
    auth.grant("priv", "bob", "builder", None)
    auth.grant("priv", "gus", "guest", None)
    auth.grant("pub", "gus", "guest", None)
    auth.grant("pub", "meg", "manager", None)
    _, bash = projects.package_id("pub", "bash")
    rev = records.record(
        db,
        pub.project_id,
        bash,
        NEVR("bash", 0, "5.1.8", "9.el9"),
        upstream_kind="dist-git",
        upstream_url="https://git.example.org/rpms/bash.git",
        upstream_branch="c9",
        upstream_ref="imports/c9/bash-5.1.8-9.el9",
        upstream_commit="a" * 40,
        patch_url=None,
        patch_commit="b" * 40,
        forge_repo="pub/rpms/bash",
        forge_branch="r9",
        forge_commit="c" * 40,
        forge_tag="imports/r9/bash-5.1.8-9.el9",
    )
    tasks = TaskService(db)
    build_task = tasks.create(
        "build", project_id=pub.project_id, package_id=bash, summary="build bash-5.1.8-9.el9 in pub"
    )
    tasks.start(build_task)
    arch_task = tasks.create(
        "build-arch",
        project_id=pub.project_id,
        package_id=bash,
        parent_id=build_task,
        arch="x86_64",
        summary="build bash x86_64",
    )
    tasks.start(arch_task)
    tasks.log(arch_task, "".join(f"resolving line {i}\n" for i in range(400)))
    tasks.log(arch_task, f"error: {REASON}\n")
    tasks.finish(arch_task, "failed", error=REASON)
    tasks.log(build_task, "build bash: planning x86_64\n")
    tasks.finish(build_task, "failed", error=REASON)
    with db.session() as s:
        b = Build(
            project_id=pub.project_id,
            package_id=bash,
            import_revision_id=rev,
            task_id=build_task,
            status="failed",
            reason=REASON,
            epoch=0,
            version="5.1.8",
            release="9.el9",
            arches=["x86_64"],
            finished_at=utcnow(),
        )
        s.add(b)
        s.flush()
        s.add(
            BuildRoot(
                build_id=b.id,
                task_id=arch_task,
                arch="x86_64",
                status="failed",
                reason=REASON,
                entries=[
                    {
                        "kind": "rpm",
                        "nevra": "gcc-11.4-1.x86_64",
                        "sha256": "d" * 64,
                        "repo": "base",
                    },
                ],
            )
        )
        batch = Batch(kind="import", project_id=pub.project_id)
        s.add(batch)
        s.flush()
        s.add(BatchItem(batch_id=batch.id, package_id=bash, status="imported"))
        _, hello = projects.package_id("pub", "hello")
        s.add(
            BatchItem(
                batch_id=batch.id,
                package_id=hello,
                status="failed",
                reason="upstream hello.git: branch c9 not found",
            )
        )
        batch_id = batch.id
    private_task = tasks.create("import", project_id=priv.project_id, summary="import in priv")
    return Seeded(
        admin,
        tokens["bob"],
        tokens["gus"],
        tokens["meg"],
        build_task,
        arch_task,
        private_task,
        batch_id,
    )


def csrf_of(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert m, html[:500]
    return m.group(1)


REFUSED = "bash-5.1.8-9.el9 is already built into this project (build 1): bump the Release"
SKIPPED = "dependency bash did not build"


@dataclass
class Refusals:
    refused_build: int
    skipped_build: int
    batch_id: int


def seed_refusals(db: Database) -> Refusals:
    """After seed(): a build batch of pub whose task ended `succeeded` (as the batch workflow
    records it) while bash was refused ("already built") and hello skipped for it."""
    projects = ProjectService(db)
    pub = projects.get("pub").id
    _, bash = projects.package_id("pub", "bash")
    _, hello = projects.package_id("pub", "hello")
    tasks = TaskService(db)
    parent = tasks.create("build-batch", project_id=pub, summary="build 2 packages in pub")
    tasks.start(parent)
    items = ((bash, "failed", REFUSED), (hello, "skipped", SKIPPED))
    children = []
    for pkg, status, reason in items:
        child = tasks.create("build", project_id=pub, package_id=pkg, parent_id=parent)
        tasks.finish(child, "failed" if status == "failed" else "canceled", error=reason)
        children.append(child)
    tasks.finish(parent, "succeeded")
    with db.session() as s:
        rev_id = s.scalar(select(ImportRevision.id).where(ImportRevision.package_id == bash))
        batch = Batch(kind="build", project_id=pub, task_id=parent)
        s.add(batch)
        s.flush()
        ids = []
        for (pkg, status, reason), child in zip(items, children, strict=True):
            b = Build(project_id=pub, package_id=pkg, import_revision_id=rev_id, task_id=child,
                      batch_id=batch.id, status=status if status == "failed" else "canceled",
                      reason=reason, finished_at=utcnow())  # fmt: skip
            s.add(b)
            s.add(BatchItem(batch_id=batch.id, package_id=pkg, task_id=child, status=status,
                            reason=reason))  # fmt: skip
            s.flush()
            ids.append(b.id)
        return Refusals(ids[0], ids[1], batch.id)
