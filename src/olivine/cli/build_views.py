"""`olivine build list P [--package N] [--state S]`, `olivine build show ID` and `olivine build
download ID [--arch A] [DIR]`, next to `olivine build P PKG` (the group's default command:
`list`, `show` and `download` are reserved project names for that, projects/schema.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer._click.core import Context  # typer's own copy of Click
from typer.core import TyperCommand, TyperGroup

from olivine.cli.client import Api, CliError
from olivine.cli.output import cell, console, show
from olivine.cli.state import current

LIST_COLUMNS = ["id", "package", "nevr", "status", "arches", "scratch", "created_at", "reason"]


class BuildGroup(TyperGroup):
    """`olivine build P PKG ...` runs the default command; `olivine build list|show|download`
    the named ones."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from olivine.cli.builds import DEFAULT

        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


class _AsGroup(Context):
    """The default command's usage and errors name it `olivine build`, as it is typed."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class DefaultCommand(TyperCommand):
    """`olivine build P PKG`: registered under an internal name that no help shows."""

    context_class = _AsGroup


build_app = typer.Typer(
    cls=BuildGroup,
    no_args_is_help=True,
    help="Builds. `olivine build P PKG [--scratch] [--scm-hash H] [--wait [--follow]]` builds a "
    "package's latest import (`olivine build P PKG --help`: its options); list, show and "
    "download show and fetch builds.",
)


@build_app.command("list")
def build_list(
    project: str = typer.Argument(..., metavar="P"),
    package: str = typer.Option(None, "--package", help="builds of this package only"),
    state: str = typer.Option(None, "--state", help="pending, building, complete, failed, ..."),
    offset: int = typer.Option(0, "--offset"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """The project's builds, newest first."""
    params = {"package": package, "state": state, "offset": offset, "limit": limit}
    page = Api(current()).get(
        f"/api/v1/projects/{project}/builds",
        params={k: v for k, v in params.items() if v is not None},
    )
    if current().json:
        show(page, True)
        return
    rows = [{**b, "arches": _arches(b["arches"])} for b in page["items"]]
    show(rows, False, LIST_COLUMNS)
    if page["total"] > offset + len(rows):
        console.print(f"({page['total']} in all; --offset {offset + len(rows)} for more)")


def _arches(states: dict[str, str]) -> str:
    return ",".join(states)


@build_app.command("show")
def build_show(build_id: int = typer.Argument(..., metavar="ID")) -> None:
    """A build: status and reason, who, when, each arch with its status and task, its files."""
    api = Api(current())
    b = api.get(f"/api/v1/builds/{build_id}")
    files = api.get(f"/api/v1/builds/{build_id}/files")
    if current().json:
        show({**b, "files": files}, True)
        return
    show({k: v for k, v in b.items() if k != "arches"}, False)
    console.print(f"[bold]arches[/bold]: {cell([a['arch'] for a in b['arches']])}")
    for a in b["arches"]:
        why = f" ({a['reason']})" if a["reason"] else ""
        console.print(f"  {a['arch']}: {a['status']}{why} task {cell(a['task_id'])}")
    for f in files:
        console.print(f"  {f['name']}  sha256:{f['sha256']}")


@build_app.command("download")
def build_download(
    build_id: int = typer.Argument(..., metavar="ID"),
    directory: Path = typer.Argument(Path("."), metavar="[DIR]", help="default: here"),
    arch: str = typer.Option(None, "--arch", help="only this arch's RPMs (src: the SRPM)"),
) -> None:
    """Download the build's SRPM and RPMs (scratch builds too), each checked against the
    sha256 the API lists."""
    api = Api(current(), timeout=600)
    files: list[dict[str, Any]] = api.get(f"/api/v1/builds/{build_id}/files")
    chosen = [f for f in files if arch is None or _arch_of(f["name"]) == arch]
    if not chosen:
        have = cell(sorted({_arch_of(f["name"]) for f in files})) or "none"
        what = f" of arch {arch}" if arch else ""
        raise CliError(f"build {build_id} has no RPMs{what} (arches of its files: {have})")
    directory.mkdir(parents=True, exist_ok=True)
    for f in chosen:
        dest = directory / f["name"]
        got = api.download(_path(f["url"]), dest)
        if got != f["sha256"]:
            dest.unlink(missing_ok=True)
            raise CliError(f"{f['name']}: sha256 {got} is not the {f['sha256']} the API lists")
        console.print(f"{dest}  sha256 ok") if not current().json else None
    if current().json:
        show([{"name": f["name"], "sha256": f["sha256"]} for f in chosen], True)


def _arch_of(name: str) -> str:
    return name.removesuffix(".rpm").rsplit(".", 1)[-1]


def _path(url: str) -> str:
    """An object link served by this instance is fetched from the URL the CLI talks to (the
    public URL may name another host); any other link as it is."""
    return "/objects/" + url.split("/objects/", 1)[1] if "/objects/" in url else url
