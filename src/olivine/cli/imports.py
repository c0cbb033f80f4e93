"""`olivine import P PKG`, `olivine import diff P PKG`, `olivine import-batch`, and
`olivine package history P PKG`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from olivine.cli.batches import started
from olivine.cli.client import Api, CliError
from olivine.cli.output import console, show
from olivine.cli.state import current
from olivine.cli.tasks import wait_for_task

HISTORY_COLUMNS = ["id", "nevr", "upstream_ref", "forge_commit", "patch_commit", "created_at"]


def import_command(
    args: list[str] = typer.Argument(..., metavar="P PKG | diff P PKG"),
    ref: str = typer.Option(None, "--ref", help="upstream tag, branch or commit"),
    srpm: Path = typer.Option(None, "--srpm", help="import this source RPM file"),
    wait: bool = typer.Option(False, "--wait", help="show progress; fail if the import fails"),
    rev: str = typer.Option(None, "--rev", help="diff: revision id, forge commit, tag or NEVR"),
) -> None:
    """Import a package from its upstream with its declared patches.

    `olivine import diff P PKG [--rev R]` shows the upstream tree against the imported one."""
    if args and args[0] == "diff":
        if len(args) != 3:
            raise CliError("usage: olivine import diff P PKG [--rev R]")
        _diff(args[1], args[2], rev)
        return
    if len(args) != 2:
        raise CliError("usage: olivine import P PKG [--ref R] [--srpm FILE] [--wait]")
    project, package = args
    api = Api(current(), timeout=3600)
    if srpm is not None:
        try:
            with open(srpm, "rb") as f:
                out = api.post(
                    f"/api/v1/projects/{project}/imports/srpm",
                    data={"package": package},
                    files={"file": (srpm.name, f)},
                )
        except OSError as e:
            raise CliError(f"cannot read {srpm}: {e.strerror}") from None
    else:
        out = api.post(f"/api/v1/projects/{project}/imports", json={"package": package, "ref": ref})
    _started(api, out, wait)


def _started(api: Api, out: dict[str, Any], wait: bool) -> None:
    task_id = out["task_id"]
    if not wait:
        show(out, True) if current().json else console.print(
            f"import of {out['package']} started: task {task_id} "
            f"(`olivine task logs {task_id} --follow`)"
        )
        return
    task = wait_for_task(api, task_id)
    res = task.get("result") or {}
    if current().json:
        show(res, True)
        return
    console.print(f"{res.get('status', 'done')}: {res.get('nevr')}")
    for k in (
        "forge_repo",
        "forge_branch",
        "forge_commit",
        "forge_tag",
        "upstream_commit",
        "patch_commit",
    ):
        if res.get(k):
            console.print(f"  {k}: {res[k]}")


def _diff(project: str, package: str, rev: str | None) -> None:
    params = {"rev": rev} if rev else {}
    out = Api(current(), timeout=600).get(
        f"/api/v1/projects/{project}/packages/{package}/imports/diff", params=params
    )
    if current().json:
        show(out, True)
        return
    sys.stdout.write(out["diff"] or f"no difference: {out['nevr']} is upstream as is\n")


def import_batch(
    project: str = typer.Argument(..., metavar="P"),
    packages: list[str] = typer.Argument(None, metavar="PKG..."),
    all_: bool = typer.Option(False, "--all", help="every package of the project"),
    retry: int = typer.Option(None, "--retry", help="as `olivine batch retry BATCH`"),
    wait: bool = typer.Option(False, "--wait", help="wait; fail if any import failed"),
) -> None:
    """Import many packages at once, concurrently, with a per-package summary."""
    if not packages and not all_ and retry is None:
        raise CliError("name packages, or use --all or --retry BATCH")
    api = Api(current())
    out = api.post(
        f"/api/v1/projects/{project}/import-batch",
        json={"packages": packages or [], "all": all_, "retry": retry},
    )
    started(api, out, wait)


def package_history(
    project: str = typer.Argument(..., metavar="P"),
    package: str = typer.Argument(..., metavar="PKG"),
) -> None:
    """A package's imports, newest first."""
    revs = Api(current()).get(f"/api/v1/projects/{project}/packages/{package}/imports")
    show(revs, current().json, HISTORY_COLUMNS)


def register(app: typer.Typer) -> None:
    from olivine.cli.projects import package_app

    app.command("import")(import_command)
    app.command("import-batch")(import_batch)
    package_app.command("history")(package_history)
