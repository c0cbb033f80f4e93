"""`olivine project` and `olivine package list`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from olivine.cli.client import Api, CliError
from olivine.cli.output import console, show
from olivine.cli.state import current

project_app = typer.Typer(help="Projects (distributions).", no_args_is_help=True)
package_app = typer.Typer(help="Packages of a project.", no_args_is_help=True)


@project_app.command("apply")
def project_apply(file: Path = typer.Argument(..., exists=False, metavar="FILE")) -> None:
    """Declare a project and its catalog from a project file (idempotent)."""
    try:
        text = file.read_text()
    except OSError as e:
        raise CliError(f"cannot read {file}: {e.strerror}") from None
    body = {"file": text, "filename": str(file), "wait": True, "groups": _groups(file, text)}
    out = Api(current()).post("/api/v1/projects/apply", json=body)
    if current().json:
        show(out, True)
    elif out["status"] == "succeeded":
        verb = "created" if out["created"] else "applied"
        console.print(f"project {out['project']} {verb} (task {out['task_id']})")
        for change in out["changes"] or ["unchanged"]:
            console.print(f"  {change}")
    if out["status"] == "failed":
        raise CliError(f"applying {file} failed (task {out['task_id']}): {out['error']}")
    if out["status"] in ("pending", "running") and not current().json:
        console.print(
            f"task {out['task_id']} is {out['status']}; follow it with "
            f"`olivine task logs {out['task_id']} --follow`"
        )


def _groups(file: Path, text: str) -> dict[str, str]:
    """The comps files the project file names, read relative to it: the server opens no path.
    A file that does not parse is sent as it is, for the server to say where it is wrong."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    repos = data.get("repositories") if isinstance(data, dict) else None
    named = {r["groups"] for r in repos or [] if isinstance(r, dict) and r.get("groups")}
    out: dict[str, str] = {}
    for path in sorted(p for p in named if isinstance(p, str)):
        try:
            out[path] = (file.parent / path).read_text()
        except (OSError, UnicodeDecodeError) as e:
            why = getattr(e, "strerror", None) or str(e)
            raise CliError(f"cannot read the groups file {path} named in {file}: {why}") from None
    return out


@project_app.command("list")
def project_list() -> None:
    show(
        Api(current()).get("/api/v1/projects"),
        current().json,
        ["name", "public", "arches", "dist", "updated_at"],
    )


@project_app.command("show")
def project_show(project: str = typer.Argument(..., metavar="P")) -> None:
    out = Api(current()).get(f"/api/v1/projects/{project}")
    if current().json:
        show(out, True)
        return
    for k in ("name", "public", "arches", "dist", "created_at", "updated_at"):
        console.print(f"[bold]{k}[/bold]: {out[k]}")
    spec = out.get("spec") or {}
    console.print(f"[bold]packages[/bold]: {len(spec.get('packages', []))}")
    repos = ["all"] + [r["name"] for r in spec.get("repositories", [])]
    console.print(f"[bold]repositories[/bold]: {', '.join(repos)}")


@package_app.command("list")
def package_list(
    project: str = typer.Argument(..., metavar="P"),
    name: str = typer.Option(None, "--name", help="glob"),
    offset: int = typer.Option(0, "--offset"),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    params: dict[str, str | int] = {"offset": offset, "limit": limit}
    if name:
        params["name"] = name
    page = Api(current()).get(f"/api/v1/projects/{project}/packages", params=params)
    if current().json:
        show(page, True)
        return
    rows = [
        {
            "name": p["name"],
            "active": p["active"],
            "latest import": (p["latest_import"] or {}).get("nevr", ""),
        }
        for p in page["items"]
    ]
    show(rows, False, ["name", "active", "latest import"])
    if page["total"] > offset + len(rows):
        console.print(f"({page['total']} in all; --offset {offset + len(rows)} for more)")
