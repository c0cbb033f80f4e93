"""What `olivine verify` asks rpm about a package: the signature checked against the user's
project keys (rpmkeys with a throwaway rpmdb holding only those keys), the header's SHA256
digest, the signer's key ID; for an installed package the same facts from an rpmdb."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import OlivineError
from olivine.signing.rpmheader import file_chunks, header_sha256

_QF = "%{NEVRA}\\t%{SHA256HEADER}\\t%{RSAHEADER:pgpsig}\\t%{SIGPGP:pgpsig}\\n"


class BrokenLink(OlivineError):
    """A link of the chain from the RPM back to its upstream commit failed: names which."""

    def __init__(self, link: str, detail: str) -> None:
        super().__init__(f"{link}: {detail}")
        self.link = link


@dataclass(frozen=True)
class RpmFacts:
    nevra: str
    header_sha256: str
    signer_keyid: str | None  # 16 hex digits, lower case; None: unsigned
    file_sha256: str | None = None  # None: an installed package


def _rpm(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _keyid(pgpsig: str) -> str | None:
    # "RSA/SHA256, Tue 01 Dec 2026 08:00:00 AM UTC, Key ID 0123456789abcdef"
    if "Key ID" not in pgpsig:
        return None
    return pgpsig.rsplit("Key ID", 1)[1].strip().lower() or None


def _facts(line: str, file_sha256: str | None) -> RpmFacts:
    nevra, header, rsa, pgp = [*line.split("\t"), "", "", ""][:4]
    return RpmFacts(nevra, header.lower(), _keyid(rsa) or _keyid(pgp), file_sha256)


def check_file(path: Path, key_files: list[Path]) -> RpmFacts:
    """The RPM's facts once rpm has verified its digests and its signature by one of the keys."""
    if not key_files:
        raise BrokenLink("rpm signature", "no project key given (--key FILE)")
    with tempfile.TemporaryDirectory(prefix="olivine-verify-") as db:
        for key in key_files:
            r = _rpm(["rpmkeys", "--dbpath", db, "--import", str(key)])
            if r.returncode != 0:
                raise BrokenLink("project key", f"{key} is not a public key rpm can import")
        r = _rpm(["rpmkeys", "--dbpath", db, "--checksig", str(path)])
        verdict = (r.stdout.strip() or r.stderr.strip()).split(":", 1)[-1].strip()
        if r.returncode != 0:
            raise BrokenLink("rpm signature", f"{path.name}: {verdict or 'rpm refuses it'}")
        if "signatures OK" not in verdict:
            raise BrokenLink("rpm signature", f"{path.name} is not signed ({verdict})")
        q = _rpm(["rpm", "--dbpath", db, "-qp", "--qf", _QF, str(path)])
    own = header_sha256(file_chunks(str(path)))
    facts = _facts(q.stdout.strip(), hashlib.sha256(path.read_bytes()).hexdigest())
    if facts.header_sha256 not in ("(none)", own):
        raise BrokenLink("rpm header", f"{path.name}: header digest does not match its header")
    return RpmFacts(facts.nevra, own, facts.signer_keyid, facts.file_sha256)


def installed(name: str, dbpath: str | None = None, root: str | None = None) -> RpmFacts:
    """An installed package's facts from an rpmdb (rpm checked its signature at install)."""
    args = ["rpm", "-q", "--qf", _QF]
    if dbpath:
        args += ["--dbpath", dbpath]
    if root:
        args += ["--root", root]
    r = _rpm([*args, name])
    if r.returncode != 0:
        raise BrokenLink("installed package", (r.stdout.strip() or r.stderr.strip())[:200])
    lines = r.stdout.strip().splitlines()
    if len(lines) != 1:
        raise BrokenLink("installed package", f"{name} names {len(lines)} packages: give a NEVRA")
    facts = _facts(lines[0], None)
    if not facts.header_sha256 or facts.header_sha256 == "(none)":
        raise BrokenLink("installed package", f"{name} has no SHA256 header digest in the rpmdb")
    return facts


def key_ids(key_file: Path) -> set[str]:
    """The 16-hex-digit key IDs (primary and subkeys) of an armored public key file."""
    with tempfile.TemporaryDirectory(prefix="olivine-verify-gpg-") as home:
        r = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys", str(key_file)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    ids = set()
    for line in r.stdout.splitlines():
        f = line.split(":")
        if f[0] in ("pub", "sub") and len(f) > 4:
            ids.add(f[4].lower())
    return ids
