"""The forge over git's smart HTTP: public read, private read with a token, never a push."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.conftest import Stack, project_yaml

from olivine.forge.local import LocalForge


def _seed(stack: Stack, project: str, public: bool, tmp_path: Path) -> str:
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": project_yaml(project, public)},
    )
    assert r.json()["status"] == "succeeded"
    tree = tmp_path / f"tree-{project}"
    (tree / "SPECS").mkdir(parents=True)
    (tree / "SPECS" / "bash.spec").write_text("Name: bash\n")
    forge = LocalForge(stack.services.settings.forge_dir)
    forge.ensure_repo(project, "bash")
    res = forge.commit_tree(project, "bash", "r9", tree, "import bash", tag="imports/r9/bash-1-1")
    return res.commit


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"GIT_TERMINAL_PROMPT": "0", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_clone_public_and_private(stack: Stack, live_url: str, tmp_path: Path) -> None:
    pub = _seed(stack, "pub", True, tmp_path)
    priv = _seed(stack, "priv", False, tmp_path)

    out = _git("clone", "-q", "-b", "r9", f"{live_url}/git/pub/rpms/bash.git", str(tmp_path / "c1"))
    assert out.returncode == 0, out.stderr
    assert _git("rev-parse", "HEAD", cwd=tmp_path / "c1").stdout.strip() == pub
    assert (tmp_path / "c1" / "SPECS" / "bash.spec").read_text() == "Name: bash\n"
    tags = _git("ls-remote", "--tags", f"{live_url}/git/pub/rpms/bash.git").stdout
    assert "refs/tags/imports/r9/bash-1-1" in tags

    denied = _git("clone", "-q", f"{live_url}/git/priv/rpms/bash.git", str(tmp_path / "c2"))
    assert denied.returncode != 0
    authed = live_url.replace("http://", f"http://admin:{stack.admin_token}@")
    ok = _git("clone", "-q", "-b", "r9", f"{authed}/git/priv/rpms/bash.git", str(tmp_path / "c3"))
    assert ok.returncode == 0, ok.stderr
    assert _git("rev-parse", "HEAD", cwd=tmp_path / "c3").stdout.strip() == priv


def test_push_is_refused(stack: Stack, live_url: str, tmp_path: Path) -> None:
    _seed(stack, "pub", True, tmp_path)
    work = tmp_path / "c"
    assert (
        _git("clone", "-q", "-b", "r9", f"{live_url}/git/pub/rpms/bash.git", str(work)).returncode
        == 0
    )
    (work / "x").write_text("x")
    _git("add", "x", cwd=work)
    _git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "x", cwd=work)
    authed = live_url.replace("http://", f"http://admin:{stack.admin_token}@")
    pushed = _git("push", f"{authed}/git/pub/rpms/bash.git", "HEAD:r9", cwd=work)
    assert pushed.returncode != 0 and "403" in pushed.stderr


def test_unknown_repo_is_404(stack: Stack) -> None:
    stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": project_yaml()},
    )
    r = stack.client.get("/git/el9/rpms/nothing.git/info/refs?service=git-upload-pack")
    assert r.status_code == 404 and "el9/rpms/nothing" in r.json()["detail"]
    r = stack.client.get("/git/el9/rpms/..%2Fetc.git/info/refs")
    assert r.status_code in (404, 422)
