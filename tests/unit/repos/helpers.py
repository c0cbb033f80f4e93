"""Shared helpers of the repos tests: a project row and the fixture RPMs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from olivine.db.base import Database
from olivine.db.models import Project
from tests.conftest import FIXTURES

PULP = FIXTURES / "pulp-fixtures" / "rpm" / "assets"
CREATEREPO = FIXTURES / "createrepo_c" / "tests" / "testdata" / "packages"


def make_project(db: Database, name: str = "el9", **spec: Any) -> int:
    body = {"name": name, "arches": ["x86_64"], **spec}
    sha = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    with db.session() as s:
        p = Project(name=name, public=spec.get("public", True), spec=body, spec_sha256=sha)
        s.add(p)
        s.flush()
        return p.id


def set_spec(db: Database, project_id: int, **spec: Any) -> None:
    with db.session() as s:
        p = s.get(Project, project_id)
        assert p is not None
        p.spec = {**p.spec, **spec}


def pulp_rpms(*names: str) -> list[Path]:
    return [p for p in sorted(PULP.glob("*.rpm")) if not names or p.name.split("-")[0] in names]
