"""`olivine verify --repo URL`: a served or mirrored repository checked from its signed root down.

repomd.xml must carry a detached signature (repomd.xml.asc) by one of the user's project keys;
primary.xml's checksum must be the one repomd.xml names; each package's file sha256 must be the
one primary.xml names, and then each package goes through the whole RPM chain. If the log holds
the repomd.xml (the publisher enters every revision), its entry is checked against a checkpoint
signed by the instance key: the repository is the one published for everyone.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from olivine.repos import metadata
from olivine.signing.rpmcheck import BrokenLink

REPO_NS = {"r": "http://linux.duke.edu/metadata/repo"}
COMMON_NS = {"c": "http://linux.duke.edu/metadata/common"}

Fetch = Callable[[str], bytes]  # a path below the repository's URL -> its bytes


@dataclass(frozen=True)
class RepoPackage:
    href: str
    sha256: str


def check_repomd_signature(repomd: bytes, asc: bytes, key_files: list[Path]) -> None:
    if not key_files:
        raise BrokenLink("repomd signature", "no project key given (--key FILE)")
    with tempfile.TemporaryDirectory(prefix="olivine-verify-repo-") as home:
        gpg = ["gpg", "--homedir", home, "--batch", "--no-tty"]
        for k in key_files:
            subprocess.run([*gpg, "--import", str(k)], capture_output=True, check=False)
        data, sig = Path(home) / "repomd.xml", Path(home) / "repomd.xml.asc"
        data.write_bytes(repomd)
        sig.write_bytes(asc)
        r = subprocess.run(
            [*gpg, "--status-fd", "1", "--verify", str(sig), str(data)],
            capture_output=True,
            text=True,
        )
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    if "[GNUPG:] VALIDSIG" not in r.stdout:
        raise BrokenLink(
            "repomd signature",
            "repomd.xml.asc is not a valid signature of repomd.xml by a project key given",
        )


def _primary_location(repomd: bytes) -> tuple[str, str]:
    root = ET.fromstring(repomd)
    for data in root.iterfind("r:data", REPO_NS):
        if data.get("type") == "primary":
            loc = data.find("r:location", REPO_NS)
            chk = data.find("r:checksum", REPO_NS)
            if loc is not None and chk is not None and chk.get("type") == "sha256":
                return str(loc.get("href")), (chk.text or "").strip()
    raise BrokenLink("repo metadata", "repomd.xml names no primary.xml with a sha256 checksum")


def packages(repomd: bytes, fetch: Fetch) -> list[RepoPackage]:
    """The repository's packages, once primary.xml matched repomd.xml's checksum."""
    href, want = _primary_location(repomd)
    raw = fetch(href)
    if hashlib.sha256(raw).hexdigest() != want:
        raise BrokenLink("repo metadata", f"{href} does not match the checksum in repomd.xml")
    xml = metadata.decompress(raw)
    out = []
    for pkg in ET.fromstring(xml).iterfind("c:package", COMMON_NS):
        loc, chk = pkg.find("c:location", COMMON_NS), pkg.find("c:checksum", COMMON_NS)
        if loc is None or chk is None or chk.get("type") != "sha256":
            raise BrokenLink("repo metadata", "a package in primary.xml has no sha256 checksum")
        out.append(RepoPackage(str(loc.get("href")), (chk.text or "").strip()))
    return out


def fetch_package(pkg: RepoPackage, fetch: Fetch, dest: Path) -> Path:
    data = fetch(pkg.href)
    if hashlib.sha256(data).hexdigest() != pkg.sha256:
        raise BrokenLink("package checksum", f"{pkg.href} does not match primary.xml")
    path = dest / Path(pkg.href).name
    path.write_bytes(data)
    return path
