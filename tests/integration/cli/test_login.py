"""`olivine login URL --token T` and the error a user gets when no instance answers, run as the
installed command in a pipe and on a terminal (a pty)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import Stack

from olivine.supervisor import free_port

OLIVINE = str(Path(sys.executable).parent / "olivine")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLIVINE_")}
    env["XDG_CONFIG_HOME"] = str(home / "cfg")
    env["COLUMNS"] = "200"
    return env


def _in_pty(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the pty
        os.chdir(cwd)
        os.execve(OLIVINE, [OLIVINE, *args], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_login_with_token_in_a_pipe_and_on_a_terminal(
    stack: Stack, live_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    piped = subprocess.run(
        [OLIVINE, "login", live_url, "--token", stack.admin_token],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert f"logged in to {live_url} as admin" in piped.stdout
    saved = (tmp_path / "cfg" / "olivine" / "config.toml").read_text()
    assert stack.admin_token in saved
    assert (tmp_path / "cfg" / "olivine" / "config.toml").stat().st_mode & 0o777 == 0o600
    code, out = _in_pty(["login", live_url, "--token", stack.admin_token], env, tmp_path)
    assert code == 0 and "logged in to" in out and "admin" in out
    code, out = _in_pty(["login", live_url, "--token", "olv_wrong"], env, tmp_path)
    assert code == 1 and "olivine:" in out
    missing = subprocess.run(
        [OLIVINE, "login", live_url], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == "olivine: login needs a token: olivine login URL --token T"


def test_no_instance_answers(tmp_path: Path) -> None:
    env = _env(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    r = subprocess.run(
        [OLIVINE, "--url", url, "project", "list"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"olivine: no Olivine instance answers at {url} (from --url): "
        "connection refused or host unreachable"
    )
    r = subprocess.run(
        [OLIVINE, "project", "list"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert "no Olivine instance answers at http://127.0.0.1:8080 (from the default" in r.stderr
    assert "running `olivine up` in .olivine" in r.stderr


def test_help_lists_every_option_without_type_markers(tmp_path: Path) -> None:
    env = _env(tmp_path)
    top = subprocess.run([OLIVINE, "--help"], capture_output=True, text=True, env=env).stdout
    for option in ("--url", "--token", "--json", "--data-dir"):
        assert option in top
    up = subprocess.run([OLIVINE, "up", "--help"], capture_output=True, text=True, env=env).stdout
    for option in ("--host", "--port", "--data-dir", "--demo"):
        line = next(x for x in up.splitlines() if option in x)
        assert len(line.split(option, 1)[1].strip(" │")) > 8, line  # it has a help text
    assert "<bool>" not in top + up
