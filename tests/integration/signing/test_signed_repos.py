"""Sign and publish, then Debian's dnf with gpgcheck=1 and repo_gpgcheck=1: it installs what
the project signed and refuses a byte-flipped RPM, a tampered repomd.xml and a repomd.xml signed
by another key; rotation keeps old packages installable."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import RepositoryRevision
from olivine.db.models.signing import RepomdSignature
from olivine.signing import keys
from olivine.signing.flow import publish_signed_now
from olivine.signing.keystore import KeyStore
from olivine.signing.rpmsign import sign_detached
from tests.integration.repos.conftest import RpmFactory, Served
from tests.integration.signing.conftest import GpgDnf, installed
from tests.unit.signing.helpers import build_outputs, make_project, rpm_checksig

pytestmark = pytest.mark.skipif(shutil.which("dnf") is None, reason="dnf missing")


def _project(
    db: Database, served: Served, keystore: KeyStore, key: keys.KeyMaterial, rpms: list[Path]
) -> int:
    pid = make_project(db, "el9", repositories=[{"name": "BaseOS"}])
    keystore.import_key("el9", key.secret, actor_id=None)
    build_outputs(db, served.store, pid, rpms)
    publish_signed_now(db, served.store, keystore, "el9", pid)
    return pid


def test_dnf_installs_signed_packages_from_a_signed_repo(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
    tmp_path: Path,
) -> None:
    _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    asc = httpx.get(url + "repodata/repomd.xml.asc")
    assert asc.status_code == 200 and asc.text.startswith("-----BEGIN PGP SIGNATURE-----")
    key = httpx.get(url + "RPM-GPG-KEY").text
    assert key == rsa_key.public_key
    repo_file = httpx.get(f"{served.url}/repos/el9/BaseOS.repo").text
    assert "gpgcheck=1" in repo_file and "repo_gpgcheck=1" in repo_file
    assert f"gpgkey={served.url}/repos/el9/BaseOS/$basearch/RPM-GPG-KEY" in repo_file
    gdnf(url, "install", "hello")
    assert installed(gdnf.root) == [
        "gpg-pubkey-" + rsa_key.info.fingerprint[-8:].lower() + "-" + _created(rsa_key),
        "hello-1.0-1",
    ]
    rpm = httpx.get(
        served.url + httpx.get(url + "Packages/h/hello-1.0-1.noarch.rpm").headers["location"]
    )
    (tmp_path / "h.rpm").write_bytes(rpm.content)
    assert rpm_checksig(tmp_path / "h.rpm", [key], tmp_path).endswith("digests signatures OK")


def _created(k: keys.KeyMaterial) -> str:
    return f"{int(k.info.created_at.timestamp()):08x}"


def test_dnf_refuses_a_byte_flipped_rpm(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
    tmp_path: Path,
) -> None:
    _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    sha = served.store.path  # the local store: flip one byte of the served RPM in place
    loc = httpx.get(url + "Packages/h/hello-1.0-1.noarch.rpm").headers["location"]
    obj = sha(loc.split("/objects/")[1].split("?")[0])
    data = bytearray(obj.read_bytes())
    data[-100] ^= 0xFF
    obj.chmod(0o644)
    obj.write_bytes(bytes(data))
    refused = gdnf(url, "install", "hello", check=False)
    assert refused.returncode != 0
    assert installed(gdnf.root) == []
    assert rpm_checksig(obj, [rsa_key.public_key], tmp_path).endswith("NOT OK")


def test_dnf_refuses_a_tampered_repomd(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
) -> None:
    _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    with db.session() as s:
        for rev in s.scalars(select(RepositoryRevision)):
            rev.repomd_xml = rev.repomd_xml.replace("<revision>", "<revision>9")
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    refused = gdnf(url, "repoquery", "hello", check=False)
    assert refused.returncode != 0
    assert "GPG" in refused.stderr or "signature" in refused.stderr.lower()


def test_dnf_refuses_a_repomd_signed_by_another_key(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    other_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
) -> None:
    _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    with db.session() as s:
        for sig in s.scalars(select(RepomdSignature)):
            body = s.get(RepositoryRevision, sig.revision_id).repomd_xml.encode()  # type: ignore[union-attr]
            sig.asc = sign_detached(other_key.info.fingerprint, other_key.secret, [body])[0]
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    refused = gdnf(url, "repoquery", "hello", check=False)
    assert refused.returncode != 0


def test_rotation_keeps_old_packages_installable(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    rsa_key2: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
) -> None:
    pid = _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    keystore.import_key("el9", rsa_key2.secret, actor_id=None)  # the new default
    new = build_outputs(db, served.store, pid, [make_rpm("tools", "1.0")])
    done = publish_signed_now(
        db, served.store, keystore, "el9", pid, changed=[a.artifact_id for a in new]
    )
    assert done.signed == 1
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    gdnf(url, "install", "hello", "tools")
    assert [p for p in installed(gdnf.root) if not p.startswith("gpg-pubkey")] == [
        "hello-1.0-1",
        "tools-1.0-1",
    ]


def test_a_reader_between_two_revisions_gets_a_matching_signature(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
    tmp_path: Path,
) -> None:
    """repomd.xml of revision 1, then the head moves, then repomd.xml.asc: the signature is
    revision 1's, and dnf accepts the pair."""
    pid = _project(db, served, keystore, rsa_key, [make_rpm("hello", "1.0")])
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    old_repomd = httpx.get(url + "repodata/repomd.xml").content
    new = build_outputs(db, served.store, pid, [make_rpm("tools", "1.0")])
    publish_signed_now(db, served.store, keystore, "el9", pid, changed=[new[0].artifact_id])
    mirror = tmp_path / "mirror"
    (mirror / "repodata").mkdir(parents=True)
    (mirror / "repodata" / "repomd.xml").write_bytes(old_repomd)
    (mirror / "repodata" / "repomd.xml.asc").write_bytes(
        httpx.get(url + "repodata/repomd.xml.asc").content
    )
    for href in re.findall(r'href="(repodata/[^"]+)"', old_repomd.decode()):
        (mirror / href).write_bytes(httpx.get(url + href).content)
    (tmp_path / "key.asc").write_text(rsa_key.public_key)
    q = gdnf(
        f"file://{mirror}/", "repoquery", "--qf", "%{name}", gpgkey=f"file://{tmp_path}/key.asc"
    )
    assert q.stdout.split() == ["hello"]
    assert httpx.get(url + "repodata/repomd.xml").content != old_repomd  # now the new pair
    q = gdnf(url, "repoquery", "--qf", "%{name}")
    assert sorted(q.stdout.split()) == ["hello", "tools"]


def test_dnf_never_fails_while_signed_publishes_move_the_head(
    db: Database,
    served: Served,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    gdnf: GpgDnf,
    make_rpm: RpmFactory,
) -> None:
    pid = _project(db, served, keystore, rsa_key, [make_rpm("base", "1.0")])
    rpms = [make_rpm("churn", f"1.{i}") for i in range(6)]
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for rpm in rpms:
                new = build_outputs(db, served.store, pid, [rpm])
                publish_signed_now(
                    db, served.store, keystore, "el9", pid, changed=[new[0].artifact_id]
                )
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=publisher)
    thread.start()
    url = f"{served.url}/repos/el9/BaseOS/x86_64/"
    rounds = 0
    try:
        while thread.is_alive() or rounds < 2:
            gdnf(url, "makecache", "--refresh")
            rounds += 1
    finally:
        thread.join()
    assert not errors and rounds >= 2
    final = gdnf(url, "repoquery", "--refresh", "--qf", "%{version}", "churn").stdout.split()
    assert sorted(final) == [f"1.{i}" for i in range(6)]
