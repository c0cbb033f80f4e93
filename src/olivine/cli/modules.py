"""`olivine module build P NAME:STREAM [--wait] | list P | show P NAME:STREAM`."""

from __future__ import annotations

from typing import Any

import typer

from olivine.cli.client import Api, CliError
from olivine.cli.output import console, show
from olivine.cli.state import current
from olivine.cli.tasks import wait_for_task

module_app = typer.Typer(help="Modules: build a stream, list and show the project's modules.")


def _split(module: str) -> tuple[str, str]:
    name, sep, stream = module.partition(":")
    if not sep or not name or not stream:
        raise CliError(f"'{module}' is not NAME:STREAM (e.g. nodejs:18)")
    return name, stream


@module_app.command("build")
def build(
    project: str = typer.Argument(..., metavar="P"),
    module: str = typer.Argument(..., metavar="NAME:STREAM"),
    wait: bool = typer.Option(False, "--wait", help="show progress; fail if the build fails"),
) -> None:
    """Build every context of a module stream, its components in build order, and publish it."""
    name, stream = _split(module)
    api = Api(current(), timeout=600)
    out = api.post(f"/api/v1/projects/{project}/modules/builds", json={"module": module})
    if not wait:
        show(out, True) if current().json else console.print(
            f"module build {out['module_build_id']} of {module} started: task {out['task_id']} "
            f"(`olivine task logs {out['task_id']} --follow`)"
        )
        return
    try:
        wait_for_task(api, out["task_id"])
    finally:
        view = api.get(f"/api/v1/projects/{project}/modules/{name}/{stream}")
        show(view, True) if current().json else _stream(view)


def _stream(v: dict[str, Any]) -> None:
    console.print(f"{v['name']}:{v['stream']}")
    for c in v["contexts"]:
        arches = ", ".join(c["arches"]) or "-"
        console.print(f"  {c['nsvc']}  {c['status']}  dist {c['dist_tag']}  arches {arches}")
        for comp in c["components"]:
            why = f" ({comp['reason']})" if comp["reason"] else ""
            build = comp["build_id"] or "-"
            task = comp.get("task_id") or "-"
            console.print(
                f"    group {comp['group'] + 1}: {comp['name']} {comp['status']}{why}  "
                f"build {build}  task {task}  commit {comp['commit'][:12]}"
            )


@module_app.command("list")
def list_modules(project: str = typer.Argument(..., metavar="P")) -> None:
    """Every module stream of the project, with its contexts."""
    out = Api(current()).get(f"/api/v1/projects/{project}/modules")
    if current().json:
        show(out, True)
        return
    if not out:
        console.print(f"project {project} has no module builds")
    for v in out:
        for c in v["contexts"]:
            console.print(f"{c['nsvc']}  {c['status']}")


@module_app.command("show")
def show_module(
    project: str = typer.Argument(..., metavar="P"),
    module: str = typer.Argument(..., metavar="NAME:STREAM"),
) -> None:
    """A module stream: its contexts, their components, builds and commits."""
    name, stream = _split(module)
    out = Api(current()).get(f"/api/v1/projects/{project}/modules/{name}/{stream}")
    show(out, True) if current().json else _stream(out)


def register(app: typer.Typer) -> None:
    app.add_typer(module_app, name="module")
