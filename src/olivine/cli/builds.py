"""`olivine build P PKG`, `olivine build list|show|download` (olivine.cli.build_views),
`olivine build-batch P PKG... | --all`, and `olivine mock-config P ARCH` (`olivine batch
show|retry ID` is olivine.cli.batches)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from olivine.cli.batches import batch_app, started
from olivine.cli.client import Api, CliError
from olivine.cli.follow import LogFollower
from olivine.cli.output import console, show
from olivine.cli.state import current
from olivine.cli.tasks import wait_for_task

DEFAULT = "_build"  # `olivine build P PKG`: not a project name (projects/schema.py NAME)


def build_command(
    project: str = typer.Argument(..., metavar="P"),
    package: str = typer.Argument(..., metavar="PKG"),
    scm_hash: str = typer.Option(None, "--scm-hash", help="forge commit of an earlier import"),
    scratch: bool = typer.Option(False, "--scratch", help="publish nowhere, take no NEVR"),
    wait: bool = typer.Option(False, "--wait", help="show progress; fail if the build fails"),
    follow: bool = typer.Option(
        False, "--follow", help="wait, printing the build's and each arch build's live log"
    ),
) -> None:
    """Build a package's latest import (or --scm-hash) for every arch it and the project allow."""
    wait = wait or follow
    api = Api(current(), timeout=600)
    out = api.post(
        f"/api/v1/projects/{project}/builds",
        json={"package": package, "scm_hash": scm_hash, "scratch": scratch},
    )
    if not wait:
        show(out, True) if current().json else console.print(
            f"build {out['build_id']} of {package} started: task {out['task_id']} "
            f"(`olivine task logs {out['task_id']} --follow`)"
        )
        return
    try:
        out_to = sys.stderr if current().json else sys.stdout  # --json keeps stdout JSON
        follower = LogFollower(api, out_to) if follow else None
        wait_for_task(api, out["task_id"], 0.5 if follow else 1.0, follower)
    finally:
        build = api.get(f"/api/v1/builds/{out['build_id']}")
        show(build, True) if current().json else build_summary(build)


def build_summary(b: dict[str, Any]) -> None:
    console.print(
        f"build {b['id']}: {b['nevr'] or b['package']} {b['status']}"
        + (f": {b['reason']}" if b.get("reason") else "")
    )
    for a in b["arches"]:
        console.print(
            f"  {a['arch']}: {a['status']}" + (f" ({a['reason']})" if a["reason"] else "")
        )


def build_batch(
    project: str = typer.Argument(..., metavar="P"),
    packages: list[str] = typer.Argument(None, metavar="PKG..."),
    all_: bool = typer.Option(False, "--all", help="every package of the project"),
    wait: bool = typer.Option(False, "--wait", help="wait; fail if any package did not build"),
) -> None:
    """Build many packages in BuildRequires order (cycles together), going on past failures."""
    if not packages and not all_:
        raise CliError("name packages, or use --all")
    api = Api(current())
    out = api.post(
        f"/api/v1/projects/{project}/build-batch", json={"packages": packages or [], "all": all_}
    )
    started(api, out, wait)


def mock_config_command(
    project: str = typer.Argument(..., metavar="P"),
    arch: str = typer.Argument(..., metavar="ARCH"),
) -> None:
    """Print a mock config that builds against the project's served repos."""
    sys.stdout.write(Api(current()).get(f"/api/v1/projects/{project}/mock-config/{arch}"))


def register(app: typer.Typer) -> None:
    from olivine.cli.build_views import DefaultCommand, build_app

    build_app.command(DEFAULT, hidden=True, cls=DefaultCommand)(build_command)
    app.add_typer(build_app, name="build")
    app.command("build-batch")(build_batch)
    app.add_typer(batch_app, name="batch")
    app.command("mock-config")(mock_config_command)
