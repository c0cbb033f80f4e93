"""`olivine verify FILE.rpm | --installed NAME | --repo URL [--bundle B] [--key K] [--instance-key
F] [--pin]`: prove an RPM back to its upstream commit, or exit non-zero naming the broken link.

Trust roots are the user's: `--key` (the project's public key file) and `--instance-key` (the
log's signed-note verifier key, as `GET /api/v1/log/key` shows it in `note_key`), or the ones
pinned in this command's own state (~/.config/olivine/verify/state.json) the first time they
were given, or fetched with an explicit `--pin` (trust on first use, said on stderr). Nothing is
ever taken silently from the server being checked. The state also remembers the largest log
checkpoint seen, and every later verification proves the log only grew from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer

from olivine.cli.client import CliError
from olivine.cli.state import current
from olivine.errors import OlivineError
from olivine.signing import repoverify, rpmcheck
from olivine.signing.bundle import Bundle, LoggedLeaf
from olivine.signing.leaves import RepomdLeaf, parse_leaf
from olivine.signing.rpmcheck import BrokenLink, RpmFacts
from olivine.signing.verify import (
    Chain,
    InstanceTrust,
    Remembered,
    check_consistency,
    check_log_entry,
    verify_bundle,
)


def state_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "olivine" / "verify"


@dataclass
class VerifyState:
    """Pinned trust roots per server and the largest checkpoint remembered per log."""

    path: Path
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkpoints: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> VerifyState:
        path = directory / "state.json"
        if not path.exists():
            return cls(path)
        raw = json.loads(path.read_text())
        return cls(path, raw.get("servers", {}), raw.get("checkpoints", {}))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"servers": self.servers, "checkpoints": self.checkpoints}, indent=1, sort_keys=True
            )
        )
        tmp.replace(self.path)

    def remembered(self, origin: str) -> Remembered | None:
        c = self.checkpoints.get(origin)
        return Remembered(int(c["size"]), bytes.fromhex(c["root"])) if c else None

    def remember(self, origin: str, size: int, root: bytes) -> None:
        old = self.remembered(origin)
        if old is None or size > old.size:
            self.checkpoints[origin] = {"size": size, "root": root.hex()}


@dataclass
class Verifier:
    http: httpx.Client | None  # None: offline (a bundle and the state only)
    state: VerifyState
    server: str
    key_files: list[Path]
    instance_key: str | None = None
    pin: bool = False
    notes: list[str] = field(default_factory=list)

    def _get(self, path: str, **params: Any) -> httpx.Response:
        if self.http is None:
            raise BrokenLink("server", f"offline: {path} cannot be fetched")
        try:
            return self.http.get(path, params=params)
        except httpx.HTTPError as e:
            raise BrokenLink("server", f"cannot reach {self.server}: {e}") from None

    def trust(self) -> InstanceTrust:
        pinned = self.state.servers.setdefault(self.server, {})
        text = self.instance_key or pinned.get("instance_key")
        if text is None and self.pin:
            r = self._get("/api/v1/log/key")
            if r.status_code != 200:
                raise BrokenLink("instance key", f"{self.server} serves no instance key")
            text = r.json()["note_key"]
            self.notes.append(f"pinned the instance key {text} of {self.server} on first use")
        if text is None:
            raise BrokenLink(
                "instance key",
                "no instance key: give --instance-key FILE (the note_key of /api/v1/log/key, "
                "from a channel you trust) or --pin to trust this server's key on first use",
            )
        trust = InstanceTrust.from_text(text)
        pinned["instance_key"] = text.strip()
        return trust

    def project_keys(self) -> list[Path]:
        pinned = self.state.servers.setdefault(self.server, {})
        if self.key_files:
            pinned["project_keys"] = [k.read_text() for k in self.key_files]
            return self.key_files
        keys = []
        for i, text in enumerate(pinned.get("project_keys", [])):
            p = self.state.path.parent / f"project-key-{i}.asc"
            p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            p.write_text(text)
            keys.append(p)
        return keys

    def bundle_for(self, rpm: RpmFacts) -> Bundle:
        r = self._get("/api/v1/provenance", rpm_header_sha256=rpm.header_sha256)
        if r.status_code != 200:
            detail = r.json().get("detail", r.text) if r.content else r.reason_phrase
            raise BrokenLink("provenance lookup", f"{rpm.nevra}: {detail}")
        return Bundle.from_json(r.text)

    def consistency(self, first: int, second: int) -> list[bytes]:
        r = self._get("/api/v1/log/proof/consistency", first=first, second=second)
        if r.status_code != 200:
            raise BrokenLink("log consistency", f"the log has no proof from {first} to {second}")
        return [bytes.fromhex(h) for h in r.json()["hashes"]]

    def repomd_logged(self, repomd_sha256: str) -> str:
        """Whether the log holds this repomd.xml, checked against a signed checkpoint."""
        trust = self.trust()
        r = self._get("/api/v1/log/repomd", sha256=repomd_sha256)
        if r.status_code == 404:
            return "repomd.xml is not in the transparency log"
        if r.status_code != 200:
            raise BrokenLink("repomd log entry", f"the server answered {r.status_code}")
        body = r.json()
        item = LoggedLeaf.from_dict(body["entry"])
        leaf = parse_leaf(item.leaf)
        if not isinstance(leaf, RepomdLeaf) or leaf.repomd_sha256 != repomd_sha256:
            raise BrokenLink("repomd log entry", "the entry served is not this repomd.xml")
        cp = check_log_entry(item, body["checkpoint"], trust)
        cons = check_consistency(self.state.remembered(trust.name), cp, self.consistency)
        self.state.remember(trust.name, cp.size, cp.root_hash)
        self.state.save()
        return (
            f"repomd.xml is log entry {item.index} ({leaf.project}/{leaf.repo}/{leaf.arch} "
            f"revision {leaf.revision}); {cons}"
        )

    def check(self, rpm: RpmFacts, bundle: Bundle | None = None) -> Chain:
        trust = self.trust()
        b = bundle or self.bundle_for(rpm)
        fetch = self.consistency if self.http is not None else None
        chain = verify_bundle(b, rpm, trust, self.state.remembered(trust.name), fetch)
        self.state.remember(trust.name, chain.checkpoint.size, chain.checkpoint.root_hash)
        self.state.save()
        return chain


def render(chain: Chain) -> str:
    lines = [
        f"verified {chain.nevra}",
        f"  upstream   {chain.upstream}",
        f"  patches    {chain.patches or '(none)'}",
        f"  forge      {chain.forge}",
        f"  build      {chain.build}",
        f"  file       {chain.file}",
        f"  log        entry {chain.leaf_index} under checkpoint size {chain.checkpoint.size} "
        f"of {chain.checkpoint.origin}; {chain.consistency}",
        f"  build root {len(chain.build_root)} entries:",
        *(f"    {e}" for e in chain.build_root),
    ]
    return "\n".join(lines)


def verify_cmd(
    rpm_file: Path | None = typer.Argument(None, metavar="FILE.rpm", exists=True, dir_okay=False),
    installed: str | None = typer.Option(None, "--installed", help="an installed package"),
    dbpath: str | None = typer.Option(None, "--dbpath", help="rpmdb of --installed"),
    root: str | None = typer.Option(None, "--root", help="root of --installed's rpmdb"),
    repo: str | None = typer.Option(None, "--repo", help="URL of a served or mirrored repo"),
    max_packages: int = typer.Option(50, "--max-packages", help="packages of --repo checked"),
    bundle: Path | None = typer.Option(None, "--bundle", exists=True, help="offline bundle"),
    key: list[Path] = typer.Option([], "--key", exists=True, help="project public key file"),
    instance_key: Path | None = typer.Option(None, "--instance-key", exists=True),
    pin: bool = typer.Option(False, "--pin", help="trust the server's instance key once"),
) -> None:
    """Prove an RPM (a file, an installed package, a repository's) back to its upstream commit."""
    if sum(x is not None for x in (rpm_file, installed, repo)) != 1:
        raise CliError("verify: give one of FILE.rpm, --installed NAME or --repo URL")
    url, token = _server(repo)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = None if bundle is not None else httpx.Client(base_url=url, headers=headers, timeout=60)
    v = Verifier(
        http,
        VerifyState.load(state_dir()),
        url,
        list(key),
        instance_key.read_text() if instance_key else None,
        pin,
    )
    try:
        if repo is not None:
            _repo(v, repo.rstrip("/"), headers, max_packages)
            return
        print(render(_run(v, rpm_file, installed, dbpath, root, bundle)))
    except OlivineError as e:
        raise CliError(f"verify failed: broken link: {e.message}") from None
    finally:
        for note in v.notes:
            print(f"olivine: {note}", file=sys.stderr)


def _server(repo: str | None) -> tuple[str, str | None]:
    """The API to ask for evidence: --url/OLIVINE_URL, else the server a /repos/ URL is on."""
    url, token = current().resolve()
    if repo and "/repos/" in repo and not (current().url or os.environ.get("OLIVINE_URL")):
        url = repo.split("/repos/", 1)[0]
    return url, token


def _repo(v: Verifier, url: str, headers: dict[str, str], max_packages: int) -> None:
    client = httpx.Client(headers=headers, timeout=120, follow_redirects=True)
    check_repo(v, url, client, max_packages, print)


def check_repo(
    v: Verifier, url: str, client: httpx.Client, max_packages: int, out: Callable[[str], None]
) -> None:
    """repomd.xml's signature and log entry, primary.xml's checksum, then each package."""

    def fetch(path: str) -> bytes:
        r = client.get(f"{url}/{path}")
        if r.status_code != 200:
            raise BrokenLink("repository", f"{url}/{path}: HTTP {r.status_code}")
        return r.content

    repomd, asc = fetch("repodata/repomd.xml"), fetch("repodata/repomd.xml.asc")
    keys = v.project_keys()
    repoverify.check_repomd_signature(repomd, asc, keys)
    logged = v.repomd_logged(hashlib.sha256(repomd).hexdigest())
    out(f"repomd.xml signed by a project key; {logged}")
    pkgs = repoverify.packages(repomd, fetch)
    with tempfile.TemporaryDirectory(prefix="olivine-verify-") as d:
        for pkg in pkgs[:max_packages]:
            path = repoverify.fetch_package(pkg, fetch, Path(d))
            chain = v.check(rpmcheck.check_file(path, keys))
            out(f"verified {chain.nevra}: {chain.upstream}")
            path.unlink()
    if len(pkgs) > max_packages:
        out(f"checked {max_packages} of {len(pkgs)} packages (--max-packages)")


def _run(
    v: Verifier,
    rpm_file: Path | None,
    installed: str | None,
    dbpath: str | None,
    root: str | None,
    bundle: Path | None,
) -> Chain:
    if rpm_file is not None:
        rpm = rpmcheck.check_file(rpm_file, v.project_keys())
    else:
        rpm = rpmcheck.installed(installed or "", dbpath, root)
        _check_installed_signer(rpm, v.project_keys())
    b = Bundle.from_json(bundle.read_text()) if bundle else None
    return v.check(rpm, b)


def _check_installed_signer(rpm: RpmFacts, keys: list[Path]) -> None:
    """rpm checked the signature at install time; here the signer must be a key of the user's."""
    ids = set().union(*(rpmcheck.key_ids(k) for k in keys)) if keys else set()
    if rpm.signer_keyid is None:
        raise BrokenLink("rpm signature", f"{rpm.nevra} was installed unsigned")
    if rpm.signer_keyid not in ids:
        raise BrokenLink(
            "rpm signature",
            f"{rpm.nevra} is signed by key {rpm.signer_keyid}, not by a project key given (--key)",
        )


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
