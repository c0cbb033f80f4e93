"""`olivine up` beside another instance, and a worker that dies under it."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

import pytest

from olivine.supervisor import free_port
from tests.e2e.test_up import EXAMPLE, _children_of, cli, olivine_up

pytestmark = pytest.mark.slow


@pytest.fixture
def no_fixed_temporal_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let each instance choose its own dev server ports, as a user's `olivine up` does."""
    import tests.e2e.test_up as up

    original = up._env

    def env(data: Path) -> dict[str, str]:
        e = original(data)
        e.pop("OLIVINE_TEMPORAL_PORT")
        return e

    monkeypatch.setattr(up, "_env", env)


def _wait_task(data: Path, status: str = "succeeded") -> list[str]:
    for _ in range(300):
        tasks = json.loads(cli(data, "task", "list", "--json").stdout)["items"]
        if tasks and all(t["status"] == status for t in tasks):
            return [t["status"] for t in tasks]
        time.sleep(0.2)
    raise AssertionError(f"tasks never all {status}: {tasks}")


def test_two_instances_side_by_side(tmp_path: Path, no_fixed_temporal_port: None) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with olivine_up(a, free_port()) as (_, lines_a), olivine_up(b, free_port()) as (_, lines_b):
        ports_a = json.loads((a / "temporal-ports.json").read_text())
        ports_b = json.loads((b / "temporal-ports.json").read_text())
        assert ports_a["grpc"] != ports_b["grpc"]
        for data, lines, ports in ((a, lines_a, ports_a), (b, lines_b, ports_b)):
            out = "".join(lines)
            assert f"Temporal      127.0.0.1:{ports['grpc']}" in out
            assert "/repos/<project>/<repo>/<arch>/" in out and "/api/v1" in out
            applied = cli(data, "project", "apply", str(EXAMPLE))
            assert applied.returncode == 0, applied.stderr
            assert _wait_task(data) == ["succeeded"]
        # owner only, and the signing worker's group (grant_data_access); nothing for others
        assert stat.S_IMODE(a.stat().st_mode) & 0o007 == 0
        assert stat.S_IMODE((a / "logs").stat().st_mode) == 0o700
        assert stat.S_IMODE((a / "instance.json").stat().st_mode) == 0o600


def test_a_killed_worker_is_started_again(tmp_path: Path) -> None:
    data = tmp_path / "olivine"
    with olivine_up(data, free_port()) as (proc, lines):
        [worker] = [c for c in _children_of(proc.pid) if c.endswith("olivine.cli worker")]
        os.kill(int(worker.split()[0]), signal.SIGKILL)
        for _ in range(100):
            after = [c for c in _children_of(proc.pid) if c.endswith("olivine.cli worker")]
            if after and after != [worker]:
                break
            time.sleep(0.1)
        assert after and after != [worker], "no new worker process"
        applied = cli(data, "project", "apply", str(EXAMPLE))
        assert applied.returncode == 0, applied.stderr
        assert _wait_task(data) == ["succeeded"]
    out = "".join(lines)
    assert "the worker exited with code -9; started it again (restart 1)" in out


def test_the_signer_runs_as_its_own_uid(tmp_path: Path) -> None:
    """With a data directory other uids can reach, the signing worker is the olivine-signer
    user, its KEK is readable by it alone, and neither lies in the data directory."""
    if os.geteuid() != 0:
        pytest.skip("a separate signer uid needs root")
    base = Path(tempfile.mkdtemp(prefix="olivine-e2e-", dir="/tmp"))
    os.chmod(base, 0o711)
    data = base / "olivine"
    try:
        with olivine_up(data, free_port()) as (proc, _):
            children = _children_of(proc.pid)
            signers = [c for c in children if "olivine-sign" in c]
            assert len(signers) == 1, children
            pid = signers[0].split()[0]
            for _ in range(100):  # setpriv execs the worker as the signer's uid
                if os.stat(f"/proc/{pid}").st_uid != 0:
                    break
                time.sleep(0.1)
            assert pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name == "olivine-signer"
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            [kek] = [
                e.split(b"=", 1)[1].decode()
                for e in env
                if e.startswith(b"OLIVINE_SIGNING_KEK_FILE=")
            ]
            st = os.stat(kek)
            assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid != 0
            assert data.resolve() not in Path(kek).resolve().parents
            for _ in range(300):
                if "worker serving olivine-sign" in (data / "logs" / "signer.log").read_text():
                    break
                time.sleep(0.2)
            assert "worker serving olivine-sign" in (data / "logs" / "signer.log").read_text()
    except BaseException:
        print((data / "logs" / "signer.log").read_text()[-3000:])
        raise
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _uid_of(pid: str) -> int:
    for _ in range(100):  # setpriv execs the child as its uid
        if os.stat(f"/proc/{pid}").st_uid != 0:
            break
        time.sleep(0.1)
    return os.stat(f"/proc/{pid}").st_uid


def test_the_api_runs_as_its_own_uid_and_cannot_read_the_kek(tmp_path: Path) -> None:
    """As root, `olivine up` serves the API as the olivine-api user (a root API could read any
    file): a process of exactly that uid and its groups gets EACCES opening the signer's KEK,
    while the API serves, writes the database and has the signer make a key."""
    import subprocess
    import sys

    import httpx

    if os.geteuid() != 0:
        pytest.skip("a separate API uid needs root")
    base = Path(tempfile.mkdtemp(prefix="olivine-e2e-", dir="/tmp"))
    os.chmod(base, 0o711)
    data, port = base / "olivine", free_port()
    try:
        with olivine_up(data, port) as (proc, _):
            children = _children_of(proc.pid)
            [api] = [c for c in children if "olivine.apiserver" in c]
            [signer] = [c for c in children if "olivine-sign" in c]
            uid = _uid_of(api.split()[0])
            assert pwd.getpwuid(uid).pw_name == "olivine-api"
            status = Path(f"/proc/{api.split()[0]}/status").read_text()
            gid = int(next(x for x in status.splitlines() if x.startswith("Gid:")).split()[1])
            env = Path(f"/proc/{signer.split()[0]}/environ").read_bytes().split(b"\0")
            [kek] = [e.split(b"=", 1)[1].decode() for e in env
                     if e.startswith(b"OLIVINE_SIGNING_KEK_FILE=")]  # fmt: skip
            probe = subprocess.run(
                ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups",
                 sys.executable, "-c", "import sys; open(sys.argv[1], 'rb')", kek],
                capture_output=True, text=True,
            )  # fmt: skip
            assert probe.returncode != 0 and "[Errno 13] Permission denied" in probe.stderr
            assert "olivine.apiserver" not in (data / "logs" / "signer.log").read_text()
            # the API of that uid works: it writes the database, the signer makes a key
            applied = cli(data, "project", "apply", str(EXAMPLE))
            assert applied.returncode == 0, applied.stderr
            made = cli(data, "key", "create", "el9", "--algorithm", "rsa4096")
            assert made.returncode == 0, made.stderr + made.stdout
            assert "PGP PUBLIC KEY" in cli(data, "key", "export", "el9").stdout
            listed = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects/el9/keys").json()
            assert [k["algorithm"] for k in listed] == ["rsa4096"]
    except BaseException:
        for name in ("api", "signer"):
            log = data / "logs" / f"{name}.log"
            print(log.read_text()[-3000:] if log.exists() else f"no {name}.log")
        raise
    finally:
        shutil.rmtree(base, ignore_errors=True)
