"""The signer's warm gpg-agents (signing.agents): one per default key across jobs, the sandbox
given its restricted socket only, killed after idle, on rotation and revocation, at exit, and
when a dead signer left one; with real gpg-agent, rpmsign in the sandbox and rpm -K."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.errors import Conflict
from olivine.signing import agents, keys, rpmsign
from olivine.signing.keystore import KeyStore
from olivine.signing.signer import Signer
from olivine.storage.fs import FsStore
from tests.unit.signing.helpers import key_and_outputs, rpm_checksig


@pytest.fixture(autouse=True)
def through_gpg_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    """These RSA keys would sign through the signer's own agent (signing.oracle): here they
    stand for the keys that gpg-agent signs for (ed25519, a signing subkey)."""
    monkeypatch.setattr(rpmsign, "in_process_signer", lambda _f, _s: None)


def _agent_pids(home: Path) -> list[int]:
    out = subprocess.run(
        ["gpgconf", "--homedir", str(home), "--list-dirs", "agent-socket"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"gpg-agent") and str(home).encode() in b" ".join(cmd):
                pids.append(int(d.name))
    assert out  # gpgconf knows the home
    return pids


def _warm_home(keystore: KeyStore) -> Path:
    (kid,) = keystore.agents.warm()
    return keystore.agents._agents[kid].home.path


def test_two_jobs_share_one_warm_agent_started_once(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=2)
    started: list[Path] = []
    real = agents.start_agent
    monkeypatch.setattr(
        agents, "start_agent", lambda h, s, x: started.append(h.path) or real(h, s, x)
    )
    signer, lines = Signer(db, fs_store, keystore), []
    first = signer.sign("el9", ids[:1], lines.append)
    home = _warm_home(keystore)
    pids = _agent_pids(home)
    second = signer.sign("el9", ids[1:], lines.append)
    assert started == [home]  # the second job started no agent
    assert _warm_home(keystore) == home and _agent_pids(home) == pids and len(pids) == 1
    assert sum("the key's warm gpg-agent" in ln for ln in lines) == 2
    for r in first + second:
        path = fs_store.download(r.signed_sha256, tmp_path / "x.rpm")
        assert rpm_checksig(path, [rsa_key.public_key], tmp_path).endswith("digests signatures OK")
    # the job's directory is gone with its link; the agent's own socket is the signer's again
    agent = keystore.agents._agents[keystore.agents.warm()[0]]
    assert agent.extra.is_socket() and agent.extra.stat().st_nlink == 1
    assert agent.extra.stat().st_uid == os.geteuid()
    keystore.sandboxes.wait_ready()  # the next sandbox made ahead has a directory of its own
    keystore.sandboxes.close()
    assert not list((tmp_path / "run").glob("sign-*"))


def test_the_sandbox_gets_the_restricted_socket_which_exports_no_key(
    db: Database, fs_store: FsStore, keystore: KeyStore, rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    """What a job's GNUPGHOME links to is the agent's extra socket: asked for the secret key
    through it, gpg-agent refuses (the main socket, which would export it, is not linked)."""
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=1)
    Signer(db, fs_store, keystore).sign("el9", ids, print)
    agent = keystore.agents._agents[keystore.agents.warm()[0]]
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o700)
    export = ["--armor", "--export-secret-keys", rsa_key.info.fingerprint]

    def through(sock: Path) -> bytes:
        os.link(sock, probe / agents.SOCKET)
        try:
            return _gpg(probe, *export)
        finally:
            (probe / agents.SOCKET).unlink()

    _gpg(probe, "--import", input=rsa_key.public_key.encode())
    assert b"PRIVATE KEY" not in through(agent.extra)
    assert b"PRIVATE KEY" in _gpg(agent.home.path, *export)  # the main socket would: the control


def _gpg(home: Path, *args: str, input: bytes | None = None) -> bytes:
    cmd = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
           "--passphrase", "", "--no-autostart", *args]  # fmt: skip
    return subprocess.run(cmd, input=input, capture_output=True).stdout


def test_rotation_revocation_idle_and_close_kill_the_warm_agent(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    rsa_key2: keys.KeyMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=3)
    signer = Signer(db, fs_store, keystore)
    signer.sign("el9", ids[:1], print)
    home = _warm_home(keystore)
    keystore.agents.sweep()
    assert keystore.agents.warm()  # still the default and used just now: kept
    keystore.import_key("el9", rsa_key2.secret, actor_id=None)  # rotation: rsa_key retired
    keystore.agents.sweep()
    assert not keystore.agents.warm() and not _agent_pids(home) and not home.exists()

    signer.sign("el9", ids[:1], print)  # the new default gets its own
    home = _warm_home(keystore)
    keystore.revoke("el9", rsa_key2.info.fingerprint, "lost", actor_id=None)
    keystore.agents.sweep()
    assert not keystore.agents.warm() and not _agent_pids(home)
    with pytest.raises(Conflict, match="revoked"):
        signer.sign("el9", ids[1:2], print, fpr=rsa_key2.info.fingerprint)

    keystore.set_default("el9", rsa_key.info.fingerprint, actor_id=None)
    signer.sign("el9", ids[1:2], print)
    home = _warm_home(keystore)
    monkeypatch.setattr(agents, "IDLE_SECONDS", 0.0)
    keystore.agents.sweep()
    assert not keystore.agents.warm() and not _agent_pids(home)

    monkeypatch.setattr(agents, "IDLE_SECONDS", 120.0)
    signer.sign("el9", ids[2:], print)
    home = _warm_home(keystore)
    keystore.agents.close()  # what the signer's exit runs
    assert not _agent_pids(home) and not home.exists()


def test_a_retired_key_gets_an_agent_for_its_job_only(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    rsa_key2: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=1)
    keystore.import_key("el9", rsa_key2.secret, actor_id=None)
    lines: list[str] = []
    out = Signer(db, fs_store, keystore).sign(
        "el9", ids, lines.append, fpr=rsa_key.info.fingerprint
    )
    assert any("a gpg-agent for this job" in ln for ln in lines)
    assert not keystore.agents.warm()
    path = fs_store.download(out[0].signed_sha256, tmp_path / "x.rpm")
    assert rpm_checksig(path, [rsa_key.public_key], tmp_path).endswith("digests signatures OK")


def test_a_busy_warm_agent_leaves_the_next_job_its_own(
    keystore: KeyStore, rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(mode=0o700)
    b.mkdir(mode=0o700)
    with keystore.agents.lease(7, lambda: rsa_key.secret, a / agents.SOCKET) as first:
        with keystore.agents.lease(7, lambda: rsa_key.secret, b / agents.SOCKET) as second:
            assert first and not second
            assert (a / agents.SOCKET).is_socket() and (b / agents.SOCKET).is_socket()
        assert not (b / agents.SOCKET).exists()  # the fresh one went with its job
    assert not (a / agents.SOCKET).exists() and keystore.agents.warm() == [7]
    keystore.agents.close()


def test_a_dead_agent_is_replaced_and_orphans_of_a_dead_signer_are_swept(
    keystore: KeyStore, rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    a = tmp_path / "a"
    a.mkdir(mode=0o700)
    with keystore.agents.lease(7, lambda: rsa_key.secret, a / agents.SOCKET):
        pass
    home = _warm_home(keystore)
    keystore.agents._agents[7].home.kill_agent()  # it died (OOM, say)
    with keystore.agents.lease(7, lambda: rsa_key.secret, a / agents.SOCKET) as warm:
        assert warm and _warm_home(keystore) != home
    keystore.agents.close()

    # a signer that died left its agent: the next one kills it on start
    run = tmp_path / "run"
    dead = run / "a999999-x"
    dead.mkdir(parents=True, mode=0o700)
    (dead / "gpg-agent.conf").write_text("")
    subprocess.run(
        ["gpg", "--homedir", str(dead), "--batch", "--import"],
        input=rsa_key.secret,
        capture_output=True,
        check=True,
    )
    assert _agent_pids(dead)
    agents.sweep_orphans(run)
    assert not _agent_pids(dead) and not dead.exists()
