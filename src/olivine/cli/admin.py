"""`olivine login`, `user`, `token`, `role`."""

from __future__ import annotations

import typer

from olivine.cli.client import Api, CliError
from olivine.cli.context import save_login
from olivine.cli.output import console, show
from olivine.cli.state import current

user_app = typer.Typer(help="Users (administrators only).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
role_app = typer.Typer(
    help="Roles in projects: manager, builder, member, guest.", no_args_is_help=True
)


def login(
    url: str = typer.Argument(..., help="the Olivine server"),
    short_token: str = typer.Option(None, "-t", help="an API token (same as --token T)"),
) -> None:
    """Check a token against a server and remember both: `olivine login URL --token T`."""
    token = (
        short_token or current().token
    )  # --token is a global option, taken out of argv before here
    if not token:
        raise CliError("login needs a token: olivine login URL --token T")
    current().url, current().token = url, token
    me = Api(current()).get("/api/v1/me")
    if me["anonymous"]:
        raise CliError("the server did not accept the token")
    path = save_login(url.rstrip("/"), token)
    console.print(f"logged in to {url} as {me['name']} (saved in {path})")


@user_app.command("create")
def user_create(name: str, admin: bool = typer.Option(False, "--admin")) -> None:
    show(Api(current()).post("/api/v1/users", json={"name": name, "admin": admin}), current().json)


@user_app.command("list")
def user_list() -> None:
    show(Api(current()).get("/api/v1/users"), current().json, ["name", "admin", "created_at"])


@token_app.command("create")
def token_create(
    user: str = typer.Option(None, "--user", help="default: yourself"),
    name: str = typer.Option("", "--name"),
) -> None:
    """Make a token; its secret is shown once."""
    out = Api(current()).post("/api/v1/tokens", json={"user": user, "name": name})
    if current().json:
        show(out, True)
    else:
        console.print(f"token {out['id']} for {out['user']} (shown once, keep it now):")
        print(out["token"])


@token_app.command("list")
def token_list(user: str = typer.Option(None, "--user")) -> None:
    params = {"user": user} if user else {}
    rows = Api(current()).get("/api/v1/tokens", params=params)
    show(
        rows,
        current().json,
        ["id", "user", "name", "prefix", "created_at", "last_used_at", "revoked"],
    )


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., metavar="ID")) -> None:
    Api(current()).delete(f"/api/v1/tokens/{token_id}")
    if not current().json:
        console.print(f"token {token_id} revoked")


@role_app.command("grant")
def role_grant(project: str, user: str, role: str) -> None:
    out = Api(current()).put(f"/api/v1/projects/{project}/roles/{user}", json={"role": role})
    show(out, current().json) if current().json else console.print(f"{user} is {role} in {project}")


@role_app.command("revoke")
def role_revoke(project: str, user: str) -> None:
    Api(current()).delete(f"/api/v1/projects/{project}/roles/{user}")
    if not current().json:
        console.print(f"{user} has no role in {project} now")


@role_app.command("list")
def role_list(project: str) -> None:
    show(Api(current()).get(f"/api/v1/projects/{project}/roles"), current().json, ["user", "role"])
