"""An external modular repository made from the pulp assets-modularity fixtures (real Fedora
module RPMs): createrepo_c, then modifyrepo_c adding their modules.yaml in a chosen
compression, as a distribution's AppStream is made (zstd: the createrepo_c wheel's
modifyrepo_c; Debian's has no zstd)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

MODULARITY = FIXTURES / "pulp-fixtures" / "rpm" / "assets-modularity"


def modular_repo(dest: Path, compress: str = "gz") -> Path:
    dest.mkdir(parents=True)
    for rpm in MODULARITY.glob("*.rpm"):
        shutil.copy(rpm, dest)
    subprocess.run(["createrepo_c", "--no-database", str(dest)], check=True, capture_output=True)
    doc = dest.parent / f"{dest.name}-modules" / "modules.yaml"
    doc.parent.mkdir()
    shutil.copy(MODULARITY / "modules.yaml", doc)
    tool = (
        str(Path(sys.executable).parent / "modifyrepo_c") if compress == "zstd" else "modifyrepo_c"
    )
    subprocess.run(
        [tool, "--mdtype=modules", f"--compress-type={compress}", str(doc),
         str(dest / "repodata")],
        check=True, capture_output=True,
    )  # fmt: skip
    return dest
