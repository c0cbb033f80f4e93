"""Real artifacts for provenance and verify tests: an RPM made by rpmbuild, a throwaway gpg key,
rpmsign with it, and a complete build recorded in the database as the build service records it."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from olivine.builds import records
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, Project
from olivine.repos.artifacts import ingest_rpm
from olivine.storage.interfaces import ObjectStore

SPEC = """Name: {name}
Version: {version}
Release: 1
Summary: provenance test package
License: MIT
BuildArch: noarch
%description
test
%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo {name} > %{{buildroot}}/usr/share/{name}/file
%files
/usr/share/{name}/file
"""


def build_rpm(tmp: Path, name: str, version: str = "1.0") -> Path:
    top = tmp / f"rpmbuild-{name}"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / f"{name}.spec"
    spec.write_text(SPEC.format(name=name, version=version))
    subprocess.run(
        [
            "rpmbuild",
            "-bb",
            "--nodeps",
            "--define",
            f"_topdir {top}",
            "--define",
            "_buildshell /bin/bash",
            "--define",
            "_build_id_links none",
            str(spec),
        ],
        check=True,
        capture_output=True,
    )
    return next((top / "RPMS" / "noarch").glob("*.rpm"))


@dataclass(frozen=True)
class GpgKey:
    home: Path
    fingerprint: str
    public: Path  # armored public key file


def gpg_key(tmp: Path, name: str = "Test Project") -> GpgKey:
    home = tmp / f"gnupg-{uuid.uuid4().hex[:6]}"
    home.mkdir(mode=0o700)
    gpg = [
        "gpg",
        "--homedir",
        str(home),
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
    ]
    subprocess.run(
        [*gpg, "--quick-gen-key", f"{name} <t@example.org>", "rsa2048", "sign", "never"],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True
    ).stdout
    fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
    pub = tmp / f"{fpr}.asc"
    pub.write_bytes(
        subprocess.run([*gpg, "--armor", "--export", fpr], check=True, capture_output=True).stdout
    )
    return GpgKey(home, fpr, pub)


def sign_rpm(path: Path, key: GpgKey) -> Path:
    subprocess.run(
        [
            "rpmsign",
            "--define",
            "__gpg /usr/bin/gpg",
            "--define",
            f"_gpg_path {key.home}",
            "--define",
            f"_gpg_name {key.fingerprint}",
            "--addsign",
            str(path),
        ],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return path


def stop_agent(key: GpgKey) -> None:
    subprocess.run(["gpgconf", "--homedir", str(key.home), "--kill", "gpg-agent"], check=False)


def seed_build(db: Database, store: ObjectStore, rpms: list[Path], project: str = "") -> int:
    """A complete build of `rpms` with its import revision and build root, as recorded by the
    build service (ingest_rpm links each RPM to the build)."""
    tag = uuid.uuid4().hex[:8]
    with db.session() as s:
        p = Project(name=project or f"p-{tag}", spec={"builder": "rpmbuild"}, spec_sha256="0" * 64)
        pkg = Package(name=f"greet-{tag}")
        s.add_all([p, pkg])
        s.flush()
        rev = ImportRevision(
            project_id=p.id,
            package_id=pkg.id,
            upstream_kind="dist-git",
            upstream_url="https://git.example.org/rpms/greet.git",
            upstream_ref="c9",
            upstream_commit="1" * 40,
            patch_url="https://git.example.org/patch/greet.git",
            patch_commit="2" * 40,
            forge_repo=f"{p.name}/rpms/{pkg.name}",
            forge_branch="r9",
            forge_commit="3" * 40,
            forge_tag="imports/r9/greet-1.0-1",
            version="1.0",
            release="1",
            lookaside=[{"path": "greet-1.0.tar.gz", "sha256": "4" * 64, "size": 9}],
        )
        s.add(rev)
        s.flush()
        project_id, rev_id = p.id, rev.id
    b = records.create_build(db, rev_id)
    records.claim_nevr(db, b, None, "1.0", "1", "5" * 64)
    records.set_arches(db, b, ["x86_64"])
    entries = [
        {
            "kind": "rpm",
            "nevra": "bash-5.1-1.el9.x86_64",
            "sha256": "6" * 64,
            "repo": "all",
            "location": "Packages/b/bash-5.1-1.el9.x86_64.rpm",
        },
        {"kind": "host", "name": "rpm-build", "host_package": "rpm", "version": "4.18.0"},
        {"kind": "host", "name": "gcc", "host_package": "gcc", "version": "12.2.0"},
    ]
    records.record_arch(db, b, "x86_64", "complete", entries=entries)
    for rpm in rpms:
        ingest_rpm(db, store, rpm, project_id, "build", build_id=b)
    records.finish_build(db, b, "complete")
    return b
