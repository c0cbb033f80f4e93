"""`olivine key create|import|export|list|resign|revoke|default|audit P`: a project's signing keys.

The private half of a key never comes back: `export` prints the public key only."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from olivine.cli.client import Api
from olivine.cli.output import console, show
from olivine.cli.state import current
from olivine.cli.tasks import wait_for_task

key_app = typer.Typer(
    help="Signing keys of a project (held by the signing worker).", no_args_is_help=True
)
KEY_COLUMNS = ["fingerprint", "algorithm", "state", "is_default", "origin", "expires_at", "user_id"]


def _keys(project: str) -> str:
    return f"/api/v1/projects/{project}/keys"


def _print_key(out: dict[str, object]) -> None:
    if current().json:
        show(out, True)
        return
    default = " (default)" if out["is_default"] else ""
    console.print(f"{out['fingerprint']} {out['algorithm']} {out['user_id']}{default}")


@key_app.command("create")
def key_create(
    project: str = typer.Argument(..., metavar="P"),
    algorithm: str = typer.Option("rsa4096", "--algorithm", help="rsa4096 (el) or ed25519"),
    expiry_days: int = typer.Option(3 * 365, "--expiry-days", help="days until the key expires"),
    user_id: str = typer.Option(None, "--uid", help="default: from the project's macros"),
    no_default: bool = typer.Option(False, "--no-default", help="do not sign with it yet"),
) -> None:
    """Make a key on the signer; it becomes the default (rotation: the old key still verifies)."""
    body = {
        "algorithm": algorithm,
        "expiry_days": expiry_days,
        "user_id": user_id,
        "make_default": not no_default,
    }
    _print_key(Api(current(), timeout=900).post(_keys(project), json=body))


@key_app.command("import")
def key_import(
    project: str = typer.Argument(..., metavar="P"),
    file: Path = typer.Argument(..., metavar="FILE", help="an armored private key"),
    no_default: bool = typer.Option(False, "--no-default", help="do not sign with it yet"),
) -> None:
    """Import an armored private key (no passphrase); public-only, expired or revoked keys are
    refused."""
    body = {"private_key": file.read_text(), "make_default": not no_default}
    _print_key(Api(current(), timeout=900).post(_keys(project), json=body))


@key_app.command("export")
def key_export(
    project: str = typer.Argument(..., metavar="P"),
    fpr: str = typer.Argument("default", metavar="[FPR]"),
) -> None:
    """Print a public key, armored (the default key unless FPR is given)."""
    sys.stdout.write(Api(current()).get(f"{_keys(project)}/{fpr}"))


@key_app.command("list")
def key_list(project: str = typer.Argument(..., metavar="P")) -> None:
    """The project's keys: default, retired (still verify) and revoked."""
    show(Api(current()).get(_keys(project)), current().json, KEY_COLUMNS)


@key_app.command("default")
def key_default(
    project: str = typer.Argument(..., metavar="P"), fpr: str = typer.Argument(..., metavar="FPR")
) -> None:
    """Rotate to an existing key."""
    _print_key(Api(current()).post(f"{_keys(project)}/{fpr}/default"))


@key_app.command("revoke")
def key_revoke(
    project: str = typer.Argument(..., metavar="P"),
    fpr: str = typer.Argument(..., metavar="FPR"),
    reason: str = typer.Option(..., "--reason", help="why (recorded in the audit and the log)"),
) -> None:
    """Revoke a compromised key: it signs nothing more; what it signed is marked."""
    _print_key(Api(current()).post(f"{_keys(project)}/{fpr}/revoke", json={"reason": reason}))


@key_app.command("resign")
def key_resign(
    project: str = typer.Argument(..., metavar="P"),
    from_fpr: str = typer.Option(None, "--from", help="only what this key signed"),
    imported: bool = typer.Option(False, "--imported", help="RPMs from `rpm import` too"),
    wait: bool = typer.Option(False, "--wait", help="wait until the repos serve them"),
) -> None:
    """Re-sign with the default key what an older key signed, and publish."""
    api = Api(current(), timeout=600)
    out = api.post(
        f"{_keys(project)}/resign", json={"from_fingerprint": from_fpr, "imported": imported}
    )
    if wait:
        wait_for_task(api, out["task_id"])
    show(out, True) if current().json else console.print(f"re-signing: task {out['task_id']}")


@key_app.command("audit")
def key_audit(project: str = typer.Argument(..., metavar="P")) -> None:
    """Who made, imported, exported, rotated and revoked the project's keys."""
    show(
        Api(current()).get(f"{_keys(project)}/audit"),
        current().json,
        ["created_at", "action", "fingerprint", "actor_id"],
    )


def register(app: typer.Typer) -> None:
    app.add_typer(key_app, name="key")
