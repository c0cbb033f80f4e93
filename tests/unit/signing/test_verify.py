"""`olivine verify`'s chain on real artifacts: an RPM built by rpmbuild and signed by rpmsign with
a throwaway gpg key, provenance signed by the instance key (real DSSE), the log in the database
under test, the API in-process. Each test breaks one link and expects that link named."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, GPGSigner
from sqlalchemy import delete, update

from olivine.api.routes import log as log_routes
from olivine.app import create_app
from olivine.cli.verify import Verifier, VerifyState, render
from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.models import LogCheckpoint, LogLeaf, LogNode, LogState, Provenance
from olivine.services import Services
from olivine.signing import attest, logstore
from olivine.signing.bundle import Bundle
from olivine.signing.instance import InstanceSigner, load_or_create, log_origin
from olivine.signing.leaves import RepomdLeaf, RevocationLeaf, SignedRpmLeaf, parse_leaf
from olivine.signing.rpmcheck import BrokenLink, check_file
from olivine.signing.rpmheader import file_chunks, header_sha256
from olivine.signing.sealing import Kek
from olivine.storage.fs import FsStore
from tests.unit.signing.provenance_fixtures import (
    GpgKey,
    build_rpm,
    gpg_key,
    seed_build,
    sign_rpm,
    stop_agent,
)


@dataclass
class World:
    db: Database
    store: FsStore
    signer: InstanceSigner
    key: GpgKey
    signed: Path  # the published (signed) RPM
    build: int
    project: str
    client: TestClient
    tmp: Path

    def verifier(self, state: str = "state", online: bool = True, **kw: object) -> Verifier:
        st = VerifyState.load(self.tmp / state)
        return Verifier(
            self.client if online else None,
            st,
            "http://testserver",
            [self.key.public],
            kw.pop("instance_key", self.signer.public.note_key),
            **kw,  # type: ignore[arg-type]
        )

    def bundle(self) -> Bundle:
        r = self.client.get("/api/v1/provenance", params={"build": self.build})
        assert r.status_code == 200, r.text
        return Bundle.from_json(r.text)


@dataclass(frozen=True)
class Made:
    key: GpgKey
    unsigned: Path
    signed: Path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    """The slow, real part made once: a gpg key, an RPM by rpmbuild, its copy signed by rpmsign."""
    tmp = tmp_path_factory.mktemp("made")
    key = gpg_key(tmp)
    unsigned = build_rpm(tmp, "greet")
    (tmp / "signed").mkdir()
    signed = sign_rpm(Path(shutil.copy(unsigned, tmp / "signed" / unsigned.name)), key)
    yield Made(key, unsigned, signed)
    stop_agent(key)


@pytest.fixture
def world(db: Database, fs_store: FsStore, tmp_path: Path, made: Made) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", database_url=str(db.engine.url))
    signer = load_or_create(db, Kek(b"k" * 32), log_origin(settings.base_url))
    key, unsigned, signed = made.key, made.unsigned, made.signed
    build = seed_build(db, fs_store, [unsigned], project="verifyp")
    put = fs_store.put_file(signed)
    hdr = header_sha256(file_chunks(str(signed)))
    leaf = SignedRpmLeaf("verifyp", _sha(unsigned), put.sha256, key.fingerprint, hdr)
    logstore.append(db, leaf, signer)
    attest.make_provenance(db, fs_store, signer, build, settings.base_url)
    app = create_app(settings, Services(settings, db, fs_store))
    app.include_router(log_routes.router)
    with TestClient(app) as client:
        yield World(db, fs_store, signer, key, signed, build, "verifyp", client, tmp_path)


def _sha(p: Path) -> str:
    import hashlib

    return hashlib.sha256(p.read_bytes()).hexdigest()


def _facts(w: World):  # type: ignore[no-untyped-def]
    return check_file(w.signed, [w.key.public])


def test_accepts_a_published_rpm_and_prints_the_chain(world: World) -> None:
    v = world.verifier()
    chain = v.check(_facts(world))
    assert chain.upstream == "https://git.example.org/rpms/greet.git@" + "1" * 40
    assert chain.patches == "https://git.example.org/patch/greet.git@" + "2" * 40
    assert "3" * 40 in chain.forge and chain.build.endswith(f"/api/v1/builds/{world.build}")
    assert any(e.startswith("bash-5.1-1.el9.x86_64") for e in chain.build_root)
    assert "is a subject of the provenance" in chain.file  # signed before the statement
    text = render(chain)
    assert "upstream" in text and "host:gcc 12.2.0" in text
    # the statement lists the signed copy too (the log's signed-rpm entry)
    st = json.loads(Envelope.from_dict(world.bundle().envelope).payload)
    assert _sha(world.signed) in {s["digest"]["sha256"] for s in st["subject"]}
    # the checkpoint is remembered; the log grows; the next check proves consistency
    logstore.append(world.db, RepomdLeaf("verifyp", "BaseOS", "noarch", 1, "9" * 64), world.signer)
    again = world.verifier().check(_facts(world))
    assert again.consistency.startswith("consistent with remembered size")


def test_offline_bundle(world: World) -> None:
    b = world.bundle()
    chain = world.verifier("offline", online=False).check(_facts(world), b)
    assert chain.checkpoint.size == logstore.size(world.db)


def test_rejects_a_modified_rpm(world: World) -> None:
    data = bytearray(world.signed.read_bytes())
    data[-100] ^= 0xFF
    bad = world.tmp / "modified.rpm"
    bad.write_bytes(bytes(data))
    with pytest.raises(BrokenLink) as e:
        check_file(bad, [world.key.public])
    assert e.value.link == "rpm signature"


def test_rejects_an_rpm_signed_by_another_key(world: World) -> None:
    other = gpg_key(world.tmp, "Someone Else")
    copy = sign_rpm(Path(shutil.copy(world.signed, world.tmp / "other.rpm")), other)
    stop_agent(other)
    with pytest.raises(BrokenLink, match="rpm signature"):
        check_file(copy, [world.key.public])


def _resigned(b: Bundle, envelope: Envelope) -> Bundle:
    return replace(b, envelope=envelope.to_dict())


def _broken(world: World, b: Bundle) -> BrokenLink:
    with pytest.raises(BrokenLink) as e:
        world.verifier("s2", online=False).check(_facts(world), b)
    return e.value


def test_rejects_a_forged_provenance(world: World) -> None:
    b = world.bundle()
    env = Envelope.from_dict(b.envelope)
    st = json.loads(env.payload)
    st["predicate"]["buildDefinition"]["externalParameters"]["upstream"]["commit"] = "e" * 40
    env.payload = json.dumps(st).encode()  # the old signature kept
    assert _broken(world, _resigned(b, env)).link == "provenance signature"


def test_rejects_provenance_signed_by_another_key(world: World) -> None:
    b = world.bundle()
    env = Envelope.from_dict(b.envelope)
    env.signatures.clear()
    env.sign(CryptoSigner(Ed25519PrivateKey.generate()))
    assert _broken(world, _resigned(b, env)).link == "provenance signature"


def test_rejects_provenance_signed_by_the_project_key(world: World) -> None:
    b = world.bundle()
    env = Envelope.from_dict(b.envelope)
    env.signatures.clear()
    uri, pub = GPGSigner.import_(world.key.fingerprint.lower(), homedir=str(world.key.home))
    env.sign(GPGSigner.from_priv_key_uri(uri, pub))
    assert _broken(world, _resigned(b, env)).link == "provenance signature"


def test_rejects_the_wrong_payload_type(world: World) -> None:
    b = world.bundle()
    env = Envelope.from_dict(b.envelope)
    env.payload_type, env.signatures = "application/json", {}
    env.sign(world.signer.dsse_signer())
    assert _broken(world, _resigned(b, env)).link == "payload type"


def test_rejects_a_checkpoint_not_signed_by_the_instance_key(world: World) -> None:
    b = world.bundle()
    note = b.checkpoint.replace("\n\n", "\nextra\n\n", 1)
    assert _broken(world, replace(b, checkpoint=note)).link == "checkpoint signature"


def test_rejects_a_log_that_was_rewritten(world: World) -> None:
    v = world.verifier("rewrite")
    v.check(_facts(world))  # remembers the honest checkpoint
    entries = logstore.entries(world.db, 0, logstore.size(world.db))
    with world.db.session() as s:  # the server's operator rewrites history with the real key
        for table in (LogCheckpoint, LogNode, LogLeaf, LogState):
            s.execute(delete(table))
    logstore.append(world.db, RepomdLeaf("verifyp", "BaseOS", "noarch", 0, "0" * 64))
    for e in entries:
        moved = logstore.append(world.db, parse_leaf(e.data), world.signer).index
        if e.kind == "provenance":
            with world.db.session() as s:
                s.execute(update(Provenance).values(leaf_index=moved))
    with pytest.raises(BrokenLink) as e:
        world.verifier("rewrite").check(_facts(world))
    assert e.value.link == "log consistency" and "rewritten" in str(e.value)


def test_flags_a_package_signed_by_a_revoked_key(world: World) -> None:
    revoked = RevocationLeaf(
        "verifyp", world.key.fingerprint, "2026-12-01T00:00:00Z", "key compromised"
    )
    logstore.append(world.db, revoked, world.signer)
    with pytest.raises(BrokenLink) as e:
        world.verifier().check(_facts(world))
    assert e.value.link == "key revocation" and "key compromised" in str(e.value)


def test_no_trust_root_no_verification(world: World) -> None:
    v = world.verifier("empty", instance_key=None)
    with pytest.raises(BrokenLink, match="--instance-key"):
        v.check(_facts(world))
    pinned = world.verifier("empty", instance_key=None, pin=True)
    assert pinned.check(_facts(world)).checkpoint.size >= 1
    assert pinned.notes and "first use" in pinned.notes[0]


def test_installed_package(world: World) -> None:
    from olivine.cli.verify import _check_installed_signer
    from olivine.signing.rpmcheck import installed

    dbpath = world.tmp / "rpmdb"
    dbpath.mkdir()
    install = ["rpm", "--dbpath", str(dbpath), "-i", "--justdb", "--nodeps", "--nosignature"]
    subprocess.run([*install, str(world.signed)], check=True, capture_output=True)
    facts = installed("greet", str(dbpath))
    assert facts.header_sha256 == header_sha256(file_chunks(str(world.signed)))
    _check_installed_signer(facts, [world.key.public])
    assert world.verifier().check(facts).nevra.startswith("greet-1.0-1")


def _mirror(world: World, tmp: Path) -> Path:
    """A mirror of the published repo: createrepo_c over the signed RPM, repomd.xml signed."""
    repo = tmp / "mirror"
    (repo / "Packages").mkdir(parents=True)
    shutil.copy(world.signed, repo / "Packages" / world.signed.name)
    subprocess.run(["createrepo_c", "--no-database", str(repo)], check=True, capture_output=True)
    gpg = ["gpg", "--homedir", str(world.key.home), "--batch", "--pinentry-mode", "loopback"]
    subprocess.run(
        [
            *gpg,
            "--passphrase",
            "",
            "-u",
            world.key.fingerprint,
            "--detach-sign",
            "--armor",
            str(repo / "repodata" / "repomd.xml"),
        ],
        check=True,
    )
    return repo


def test_repo_signed_logged_and_every_package(world: World, tmp_path: Path) -> None:
    import hashlib

    import httpx

    from olivine.cli.verify import check_repo
    from tests.integration.imports.helpers import serve_dir

    repo = _mirror(world, tmp_path)
    repomd = (repo / "repodata" / "repomd.xml").read_bytes()
    leaf = RepomdLeaf("verifyp", "all", "noarch", 3, hashlib.sha256(repomd).hexdigest())
    logstore.append(world.db, leaf, world.signer)
    lines: list[str] = []
    with serve_dir(repo) as url, httpx.Client() as http:
        check_repo(world.verifier("repo"), url, http, 10, lines.append)
        assert "log entry" in lines[0] and "revision 3" in lines[0]
        assert lines[1].startswith("verified greet-1.0-1.noarch")

        (repo / "repodata" / "repomd.xml").write_bytes(
            repomd.replace(b"<revision>", b"<revision>1")
        )
        with pytest.raises(BrokenLink) as e:
            check_repo(world.verifier("repo"), url, http, 10, lines.append)
        assert e.value.link == "repomd signature"


def test_the_command_offline_ok_and_broken(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from olivine.cli import verify as verify_cli
    from olivine.cli.context import CliContext

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = typer.Typer()
    verify_cli.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `verify` a subcommand
    good = tmp_path / "bundle.json"
    good.write_text(world.bundle().to_json())
    ikey = tmp_path / "instance.key"
    ikey.write_text(world.signer.public.note_key)
    args = [
        "verify",
        str(world.signed),
        "--key",
        str(world.key.public),
        "--instance-key",
        str(ikey),
    ]
    ok = CliRunner().invoke(app, [*args, "--bundle", str(good)], obj=CliContext())
    assert ok.exit_code == 0, ok.output
    assert "verified greet-1.0-1.noarch" in ok.output and "1" * 40 in ok.output
    assert (tmp_path / "config" / "olivine" / "verify" / "state.json").is_file()

    env = Envelope.from_dict(world.bundle().envelope)
    env.payload_type, env.signatures = "text/plain", {}
    env.sign(world.signer.dsse_signer())
    bad = tmp_path / "bad.json"
    bad.write_text(replace(world.bundle(), envelope=env.to_dict()).to_json())
    res = CliRunner().invoke(app, [*args, "--bundle", str(bad)], obj=CliContext())
    assert res.exit_code != 0
    assert "broken link: payload type" in str(res.exception)
