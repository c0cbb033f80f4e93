"""Key material: make a project key, check an imported one, in a throwaway GNUPGHOME each time.

What leaves these functions is a `KeyMaterial`: the public half armored, the secret half as
bytes the caller seals at once (signing.keystore) and never logs. Its repr hides the secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from olivine.errors import ServiceFailure, ValidationFailed
from olivine.signing.gpg import GpgHome, gpg_home

DEFAULT_EXPIRY_DAYS = 3 * 365
ALGORITHMS = ("rsa4096", "ed25519")
# Enterprise Linux 8 and 9's rpm cannot verify ed25519 signatures (Debian's rpm can)
RSA_ONLY_FAMILIES = ("el",)
_PUBKEY_ALGOS = {"1": "rsa", "17": "dsa", "22": "ed25519", "19": "ecdsa"}


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    algorithm: str
    user_id: str
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class KeyMaterial:
    info: KeyInfo
    public_key: str
    secret: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"KeyMaterial({self.info.fingerprint}, <secret hidden>)"


def check_algorithm(algorithm: str, family: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValidationFailed(f"key algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    if family in RSA_ONLY_FAMILIES and not algorithm.startswith("rsa"):
        raise ValidationFailed(
            f"a project of family {family!r} needs an RSA key: Enterprise Linux's rpm "
            f"cannot verify {algorithm} signatures"
        )


def default_user_id(project: str, macros: dict[str, str]) -> str:
    """`<vendor> <project> signing key <mail>`, the mail taken from the packager macro."""
    vendor = macros.get("vendor") or "Olivine"
    m = re.search(r"<([^<>@\s]+@[^<>\s]+)>", macros.get("packager") or "")
    mail = m.group(1) if m else f"{project}@olivine.invalid"
    return f"{vendor} {project} signing key <{mail}>"


def _when(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


@dataclass(frozen=True)
class _Listed:
    secret: bool
    validity: str
    info: KeyInfo
    can_sign: bool


def _algo(cols: list[str]) -> str:
    name = _PUBKEY_ALGOS.get(cols[3], f"algo{cols[3]}")
    return f"rsa{cols[2]}" if name == "rsa" else name


def parse_colons(text: str) -> list[_Listed]:
    """Primary keys from `gpg --with-colons` output (sec/pub, then fpr and uid lines)."""
    out: list[_Listed] = []
    cur: list[str] | None = None
    fpr = uid = ""

    def flush() -> None:
        if cur is not None:
            info = KeyInfo(fpr, _algo(cur), uid, _when(cur[6]), _when(cur[5]) or datetime.now(UTC))
            caps = cur[11] if len(cur) > 11 else ""
            out.append(_Listed(cur[0] == "sec", cur[1], info, "S" in caps or "s" in caps))

    for line in text.splitlines():
        cols = line.split(":")
        if cols[0] in ("sec", "pub"):
            flush()
            cur, fpr, uid = cols, "", ""
        elif cols[0] == "fpr" and cur is not None and not fpr:
            fpr = cols[9]
        elif cols[0] == "uid" and cur is not None and not uid:
            uid = cols[9]
    flush()
    return out


def _export(home: GpgHome, fpr: str) -> KeyMaterial:
    listed = parse_colons(home.run(["--with-colons", "--list-secret-keys", fpr]).stdout.decode())
    public = home.run(["--armor", "--export", fpr]).stdout.decode()
    secret = home.run(["--armor", "--export-secret-keys", fpr]).stdout
    if not listed or not secret:
        raise ServiceFailure(f"gpg did not export key {fpr}")
    return KeyMaterial(listed[0].info, public, secret)


def generate(
    user_id: str,
    algorithm: str = "rsa4096",
    expiry_days: int = DEFAULT_EXPIRY_DAYS,
    runtime_dir: Path | None = None,
) -> KeyMaterial:
    if not 1 <= expiry_days <= 20 * 365:
        raise ValidationFailed(f"key expiry must be 1 to {20 * 365} days, not {expiry_days}")
    with gpg_home(runtime_dir) as home:
        home.run(["--quick-gen-key", user_id, algorithm, "sign", f"{expiry_days}d"])
        listed = parse_colons(home.run(["--with-colons", "--list-secret-keys"]).stdout.decode())
        if len(listed) != 1:
            raise ServiceFailure("gpg --quick-gen-key made no key")
        return _export(home, listed[0].info.fingerprint)


def _problem(key: _Listed, now: datetime) -> str | None:
    if key.validity == "r":
        return "it is revoked"
    if key.validity == "e" or (key.info.expires_at is not None and key.info.expires_at <= now):
        return f"it expired on {key.info.expires_at:%Y-%m-%d}" if key.info.expires_at else "expired"
    if not key.can_sign:
        return "it has no signing capability"
    return None


def inspect_private(armored: bytes, family: str, runtime_dir: Path | None = None) -> KeyMaterial:
    """Check an armored private key a manager imports, and return it re-exported by gpg.

    Refused, with the reason: not a key, public only, several keys, revoked, expired, no signing
    capability, protected by a passphrase (the signer signs unattended), ed25519 for `el`.
    """
    if len(armored) > 256 * 1024:
        raise ValidationFailed("an armored private key is at most 256 KiB")
    with gpg_home(runtime_dir) as home:
        shown = home.run(
            ["--with-colons", "--import-options", "show-only", "--import"], armored, check=False
        )
        listed = parse_colons(shown.stdout.decode(errors="replace"))
        if not listed:
            raise ValidationFailed("the uploaded file holds no OpenPGP key")
        if len(listed) > 1:
            raise ValidationFailed(f"the uploaded file holds {len(listed)} keys: import one")
        key = listed[0]
        if not key.secret:
            raise ValidationFailed(
                f"key {key.info.fingerprint} is a public key only: import the private key "
                "(gpg --armor --export-secret-keys)"
            )
        bad = _problem(key, datetime.now(UTC))
        if bad:
            raise ValidationFailed(f"key {key.info.fingerprint} cannot sign: {bad}")
        check_algorithm(key.info.algorithm, family)
        home.run(["--import"], armored)
        test = home.run(
            ["--local-user", key.info.fingerprint, "--detach-sign"], b"olivine", check=False
        )
        if test.returncode != 0:
            raise ValidationFailed(
                f"key {key.info.fingerprint} does not sign without a passphrase: remove the "
                "passphrase (gpg --passwd) before importing it"
            )
        return _export(home, key.info.fingerprint)


def expiry_after(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
