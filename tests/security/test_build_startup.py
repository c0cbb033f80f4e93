"""A build worker's start: it refuses to start when its data directory or a secret file lies
where every sandbox can read it; it removes what a dead worker left (build directories, mounted
volumes, cgroups with processes still in them); and a worker that cannot apply the pids and
memory limits refuses builds with that reason."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from olivine.builds import cgroups, host, volume
from olivine.builds.cgroups import Resources
from olivine.builds.sandbox import SandboxSpec, run_sandboxed
from olivine.builds.startup import prepare_worker
from olivine.builds.users import SandboxUnavailable
from olivine.builds.volume import DiskCap
from olivine.config import Settings
from olivine.errors import ConfigError
from olivine.worker import run_worker

from .conftest import needs_root_sandbox

pytestmark = needs_root_sandbox


@pytest.fixture(autouse=True)
def _restore_host() -> object:
    before = host._current
    yield
    host._current = before


@pytest.mark.parametrize("data_dir", ["/usr/local/src/checkout/.olivine", "/lib/olivine"])
@pytest.mark.parametrize("queue", ["olivine-build-x86_64", "olivine"])
def test_a_worker_refuses_to_start_with_its_data_dir_under_a_bound_path(
    data_dir: str, queue: str
) -> None:
    """Whichever queue it serves: the orchestration queue runs the imports' sandboxes (spec
    evaluation, rpmautospec, patch directives), a build queue the builds'."""
    settings = Settings(data_dir=Path(data_dir))
    stop = asyncio.Event()
    stop.set()
    with pytest.raises(ConfigError, match=r"data directory .* lies under /usr"):
        asyncio.run(run_worker(settings, [queue], stop=stop))
    assert not Path(data_dir).exists()


def test_a_worker_refuses_to_start_with_its_config_file_under_a_bound_etc_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    monkeypatch.setenv("OLIVINE_CONFIG", "/etc/ld.so.conf.d/olivine.toml")  # read at start
    with pytest.raises(ConfigError, match=r"config file \(OLIVINE_CONFIG\) /etc/ld.so.conf.d/"):
        prepare_worker(settings)


def test_a_signer_refuses_to_start_with_its_kek_under_a_bound_path(tmp_path: Path) -> None:
    """The signing worker runs rpmsign in the sandbox: it checks its own secrets first."""
    settings = Settings(data_dir=tmp_path / "data", signing_kek_file=Path("/usr/local/kek"))
    stop = asyncio.Event()
    stop.set()
    with pytest.raises(ConfigError, match=r"signing KEK .*/usr/local/kek lies under /usr"):
        asyncio.run(run_worker(settings, ["olivine-sign"], stop=stop))


def test_a_build_workspace_in_the_data_dir_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", build_workspace=tmp_path / "data" / "b")
    with pytest.raises(ConfigError, match="lies in the data directory"):
        prepare_worker(settings)


def test_a_starting_worker_removes_what_a_dead_worker_left(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", build_workspace=tmp_path / "ws")
    dead = host.configure(host.config_from_settings(settings))
    left = dead.new_dir("build-")
    with dead.pool.lease() as user:
        mount = volume.mounted(left / "build", DiskCap(64, 2048), user)
        mount.__enter__()  # never exited: the worker died with it mounted
    (left / "build" / "f").write_text("x")
    cg = cgroups.create(dead.instance, dead.cgroup_name("deadbeef"), Resources(), dead.hierarchy())
    sleeper = subprocess.Popen(
        ["/bin/sh", "-c", f"echo $$ > {cg.procs_files[0]} && exec sleep 300"]
    )
    try:
        for f in cg.procs_files[1:]:
            f.write_text(str(sleeper.pid))
        assert dead._lock is not None
        dead._lock.close()  # the worker is gone: its lock with it
        notes = prepare_worker(settings)
        assert sleeper.wait(timeout=10) != 0  # killed
    finally:
        sleeper.kill()
    assert not left.exists()
    assert not volume.mounts_under(tmp_path / "ws")
    assert not any(d.exists() for d in cg.dirs.values())
    assert any("removed leftover" in n and str(left.parent) in n for n in notes), notes
    assert any("build cgroups" in n for n in notes), notes


def test_a_worker_without_cgroup_limits_refuses_builds(tmp_path: Path) -> None:
    empty = tmp_path / "no-cgroups"
    empty.mkdir()
    host.configure(host.HostConfig(workspace=tmp_path / "ws", cgroup_root=empty))
    build = tmp_path / "b"
    build.mkdir()
    with pytest.raises(SandboxUnavailable, match="cannot bound a build's processes and memory"):
        run_sandboxed(SandboxSpec(build, ["/bin/true"]), print)
