"""`olivine build P PKG`, `build list|show|download`, `task show`, and the errors of `repo file`
and `mock-config`, run as the installed command in a pipe and on a terminal (a pty) against
the stack: each downloaded RPM's sha256 is the one the API lists."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.integration.builds.test_api_builds import _seed, _wait
from tests.integration.cli.test_login import OLIVINE, _env, _in_pty
from tests.integration.conftest import Stack

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap missing")
UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OLIVINE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_build_commands_in_a_pipe_and_on_a_terminal(
    stack: Stack, live_url: str, tmp_path: Path
) -> None:
    name = "clib"
    h = _seed(stack, tmp_path, name, pkgs=("greet-doc",))
    env = {**_env(tmp_path), "OLIVINE_URL": live_url, "OLIVINE_TOKEN": stack.admin_token}
    r = stack.client.post(
        f"/api/v1/projects/{name}/builds", headers=h, json={"package": "greet-doc"}
    )
    build_id, task_id = r.json()["build_id"], r.json()["task_id"]
    assert _wait(stack, task_id, 180)["status"] == "succeeded"

    # the default command still builds; --wait shows elapsed time
    scratch = _run(["build", name, "greet-doc", "--scratch", "--wait"], env, tmp_path)
    assert scratch.returncode == 0, scratch.stderr
    assert re.search(r"^\[\d+\.\ds\] task \d+ build: succeeded", scratch.stdout, re.M)
    scratch_id = int(re.search(r"build (\d+): ", scratch.stdout).group(1))  # type: ignore[union-attr]

    listed = _run(["build", "list", name, "--package", "greet-doc"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split("\t")[:4] == ["ID", "PACKAGE", "NEVR", "STATUS"]
    cells = {int(r.split("\t")[0]): r.split("\t") for r in rows}
    assert cells[build_id][2:5] == ["1.0-1.el9", "complete", "noarch"]
    assert UTC_Z.fullmatch(cells[build_id][6]) and scratch_id in cells
    none = _run(["build", "list", name, "--state", "failed"], env, tmp_path)
    assert none.returncode == 0 and none.stdout.splitlines()[1:] == []
    bad = _run(["build", "list", name, "--state", "wobbly"], env, tmp_path)
    assert bad.returncode == 1 and "unknown build state 'wobbly'" in bad.stderr

    shown = _run(["build", "show", str(build_id)], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "status: complete" in shown.stdout and "arches: noarch" in shown.stdout
    assert re.search(r"created_at: " + UTC_Z.pattern, shown.stdout)
    assert "greet-doc-1.0-1.el9.noarch.rpm" in shown.stdout

    api_files = stack.client.get(f"/api/v1/builds/{build_id}/files", headers=h).json()
    got = _run(["build", "download", str(build_id), str(tmp_path / "dl")], env, tmp_path)
    assert got.returncode == 0, got.stderr
    for f in api_files:
        body = (tmp_path / "dl" / f["name"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == sorted(
        f["name"] for f in api_files
    )  # no .part files left
    one = _run(["build", "download", str(scratch_id), "--arch", "noarch", "sd"], env, tmp_path)
    assert one.returncode == 0, one.stderr
    assert [p.name for p in (tmp_path / "sd").iterdir()] == ["greet-doc-1.0-1.el9.noarch.rpm"]
    none_of = _run(["build", "download", str(build_id), "--arch", "aarch64"], env, tmp_path)
    assert none_of.returncode == 1 and len(none_of.stderr.strip().splitlines()) == 1
    assert "has no RPMs of arch aarch64 (arches of its files: noarch,src)" in none_of.stderr

    task = _run(["task", "show", str(task_id)], env, tmp_path)
    assert task.returncode == 0, task.stderr
    assert f"belongs to: build {build_id}, import revision" in task.stdout
    assert re.search(r"^duration: \d+\.\ds \(" + UTC_Z.pattern, task.stdout, re.M)

    code, out = _in_pty(["build", "list", name], env, tmp_path)
    assert code == 0 and "complete" in out and "1.0-1.el9" in out, out
    code, out = _in_pty(["build", "show", str(build_id)], env, tmp_path)
    assert code == 0 and "status" in out and "complete" in out, out
    code, out = _in_pty(["build", "download", str(build_id), "pty"], env, tmp_path)
    assert code == 0 and "sha256 ok" in out, out
    code, out = _in_pty(["task", "show", str(task_id)], env, tmp_path)
    assert code == 0 and "belongs to" in out and "duration" in out, out


def test_missing_repository_and_arch_are_errors(
    stack: Stack, live_url: str, tmp_path: Path
) -> None:
    name = "clirepo"
    _seed(stack, tmp_path, name, pkgs=("greet-doc",))
    env = {**_env(tmp_path), "OLIVINE_URL": live_url, "OLIVINE_TOKEN": stack.admin_token}
    nope = _run(["repo", "file", name, "Nope"], env, tmp_path)
    assert nope.returncode == 1 and nope.stdout == ""
    assert nope.stderr.strip().splitlines() == [
        f"olivine: project {name} has no repository 'Nope' (it has: all)"
    ]
    ok = _run(["repo", "file", name, "all"], env, tmp_path)
    assert ok.returncode == 0 and f"[{name}-all]" in ok.stdout
    arch = _run(["mock-config", name, "aarch64"], env, tmp_path)
    assert arch.returncode == 1 and arch.stdout == ""
    assert f"project {name} does not build aarch64 (its arches: x86_64)" in arch.stderr
    code, out = _in_pty(["repo", "file", name, "Nope"], env, tmp_path)
    assert code == 1 and "has no repository 'Nope'" in out
    assert _run(["mock-config", name, "x86_64"], env, tmp_path).returncode == 0
