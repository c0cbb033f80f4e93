"""Reference repositories made by createrepo_c + modifyrepo_c, and dnf's view of modules."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from tests.integration.repos.conftest import Dnf


def reference_repo(rpms: Iterable[Path], modules_yaml: str, dest: Path) -> str:
    dest.mkdir(parents=True)
    for rpm in rpms:
        shutil.copy(rpm, dest)
    subprocess.run(["createrepo_c", "--no-database", str(dest)], check=True, capture_output=True)
    (dest / "modules.yaml").write_text(modules_yaml)
    subprocess.run(
        ["modifyrepo_c", "--mdtype=modules", str(dest / "modules.yaml"), str(dest / "repodata")],
        check=True,
        capture_output=True,
    )
    return f"file://{dest}/"


def module_cmd(dnf: Dnf, url: str, platform: str, *args: str) -> str:
    proc = dnf(url, f"--setopt=module_platform_id=platform:{platform}", "module", *args)
    return proc.stdout


def build_specs(specs: Iterable[Path], top: Path, dist: str) -> list[Path]:
    """`rpmbuild -ba --nodeps` as ci-dnf-stack builds its fixtures (SOURCES.md)."""
    for spec in specs:
        subprocess.run(
            [
                "rpmbuild",
                "-ba",
                "--nodeps",
                "--target",
                "x86_64",
                "--define",
                f"_topdir {top}",
                "--define",
                f"dist {dist}",
                "--define",
                "_buildshell /bin/bash",
                "--define",
                "_build_id_links none",
                "--define",
                "_binary_payload w1.gzdio",
                str(spec),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C"},
        )
    return sorted(top.glob("RPMS/*/*.rpm")) + sorted(top.glob("SRPMS/*.rpm"))
