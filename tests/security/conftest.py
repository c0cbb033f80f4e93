"""The security suite: the attacks of issue 9, run as an attacker would. API and import attacks
use the same real stack as the integration tests (Temporal dev server, a worker, the app served
by uvicorn on a loopback port); build attacks use a spec of the test's own, built through the
real rpmbuild backend (bubblewrap, cgroups, the capped volume)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from olivine.builds.interfaces import Limits
from olivine.builds.resolve import RepoSource
from olivine.builds.service import ArchRequest, ArchResult, SrpmRequest, build_arch, build_srpm
from tests.integration.builds.conftest import Log, project, spec, write_spec
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    live_url,
    stack,
    stack_settings,
    temporal_address,
    worker,
)

needs_root_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="the containment tests need bubblewrap and root (build users, cgroups, volumes)",
)


@dataclass
class Built:
    arch: ArchResult
    log: Log

    @property
    def text(self) -> str:
        return self.log.text


def build(
    tmp: Path,
    name: str,
    build_script: str,
    *,
    files: str = "",
    install: str = "",
    limits: Limits | None = None,
    repos: tuple[RepoSource, ...] = (),
    header: str = "",
    project_kw: dict[str, object] | None = None,
) -> Built:
    """SRPM then x86_64 build of a spec whose %build runs `build_script`."""
    sections = f"%build\n{build_script}\n\n%install\n{install}\n"
    header = "%global debug_package %{nil}\n" + header
    tree = write_spec(tmp / "src", name, spec(name, header=header, sections=sections, files=files))
    proj = project(**(project_kw or {}))
    log = Log()
    srpm = build_srpm(SrpmRequest(proj, name, tree, tmp / "out" / "srpm"), log)
    assert srpm.ok and srpm.srpm is not None and srpm.info is not None, srpm.reason
    kw = {"limits": limits} if limits is not None else {}
    req = ArchRequest(proj, name, srpm.srpm, "x86_64", tmp / "out", repos, **kw)  # type: ignore[arg-type]
    return Built(build_arch(req, log), log)
