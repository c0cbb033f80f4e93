"""The rpmsign sandbox made ahead: nothing runs in it before its job opens the gate, it serves
one job and is replaced, a dead one is never handed out, and one discarded unused leaves no
process behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from olivine.builds.sandbox import finish_sandboxed, sandbox_pids
from olivine.db.base import Database
from olivine.signing import keys
from olivine.signing.keystore import KeyStore
from olivine.signing.signer import Signer
from olivine.signing.warmbox import JOB_SCRIPT, WarmSandbox
from olivine.storage.fs import FsStore
from tests.unit.signing.helpers import key_and_outputs, rpm_checksig


def test_the_gate_holds_until_go_then_runs_the_job_script(tmp_path: Path) -> None:
    box = WarmSandbox(tmp_path / "run", delay=0.01)
    try:
        assert box.take() is None  # none made yet: the first job makes its own
        assert box.wait_ready()
        warm = box.take()
        assert warm is not None and warm.started.alive()
        (warm.work_dir / JOB_SCRIPT).write_text("echo ran as $(id -u) > out; echo done")
        time.sleep(0.2)
        assert not (warm.work_dir / "out").exists()  # nothing ran before the gate opened
        res = finish_sandboxed(warm.started, lambda _l: None)
        assert res.ok and res.lines == ("done",)
        assert (warm.work_dir / "out").read_text().startswith("ran as ")
        assert sandbox_pids(res.marker) == []
        assert box.wait_ready()
        second = box.take()
        assert second is not None and second.work_dir != warm.work_dir  # one job each
        assert second.started.marker != warm.started.marker
        second.started.discard()
    finally:
        box.close()


@pytest.fixture
def ready_box(tmp_path: Path) -> Iterator[WarmSandbox]:
    """A box with one sandbox made ahead, and no other made during the test."""
    box = WarmSandbox(tmp_path / "run", delay=60)
    assert box.wait_ready()
    yield box
    box.close()


def test_a_discarded_one_runs_nothing_and_leaves_no_process(ready_box: WarmSandbox) -> None:
    warm = ready_box.take()
    assert warm is not None
    (warm.work_dir / JOB_SCRIPT).write_text("echo ran > out")
    warm.started.discard()
    assert not (warm.work_dir / "out").exists()
    assert sandbox_pids(warm.started.marker) == []
    assert not warm.started.alive()


def test_a_dead_one_is_never_handed_out(ready_box: WarmSandbox) -> None:
    ready = ready_box._ready
    assert ready is not None
    ready.started.proc.kill()
    ready.started.proc.wait()
    assert ready_box.take() is None
    assert not ready.work_dir.exists()  # dropped, its directory removed


def test_a_small_job_signs_in_the_sandbox_made_ahead(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=2)
    signer = Signer(db, fs_store, keystore)
    first: list[str] = []
    signer.sign("el9", ids[:1], first.append)
    assert "rpmsign in the sandbox made ahead for this job" not in first  # none was ready
    assert keystore.sandboxes.wait_ready()
    made = keystore.sandboxes._ready
    assert made is not None
    lines: list[str] = []
    [out] = signer.sign("el9", ids[1:], lines.append)
    assert "rpmsign in the sandbox made ahead for this job" in lines
    assert not made.work_dir.exists()  # its work directory went with its job
    path = fs_store.download(out.signed_sha256, tmp_path / "x.rpm")
    assert rpm_checksig(path, [rsa_key.public_key], tmp_path).endswith("digests signatures OK")
    keystore.sandboxes.close()
