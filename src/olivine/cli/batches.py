"""`olivine batch show|retry ID` for batches of both kinds (import, build), and how the
batch commands (`import-batch`, `build-batch`) report a batch they started."""

from __future__ import annotations

from typing import Any

import typer

from olivine.cli.client import Api, CliError
from olivine.cli.output import console, show
from olivine.cli.state import current
from olivine.cli.tasks import wait_for_task

batch_app = typer.Typer(help="Import and build batches: show one, retry what did not end done.")
DONE = {"import": {"imported", "unchanged"}, "build": {"built"}}
ITEM_COLUMNS = ["package", "status", "task_id", "reason"]


def summary(batch: dict[str, Any]) -> None:
    show(batch["items"], False, ITEM_COLUMNS)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(batch["counts"].items()))
    status = f" {batch['status']}" if batch.get("status") else ""
    if batch.get("canceled_by"):
        status += f" (canceled by {batch['canceled_by']})"
    console.print(f"{batch.get('kind', '')} batch {batch['batch_id']}{status}: {counts}".lstrip())


def started(api: Api, out: dict[str, Any], wait: bool) -> None:
    """Say a batch started; with `wait`, follow it and fail unless every item ended done."""
    if not wait:
        show(out, True) if current().json else console.print(
            f"{out['kind']} batch {out['batch_id']} started: {len(out['items'])} packages "
            f"(task {out['task_id']})"
        )
        return
    try:
        wait_for_task(api, out["task_id"])
    finally:
        final = api.get(f"/api/v1/batches/{out['batch_id']}")
        show(final, True) if current().json else summary(final)
    bad = [i["package"] for i in final["items"] if i["status"] not in DONE[final["kind"]]]
    if bad:
        verb = "did not import" if final["kind"] == "import" else "did not build"
        raise CliError(
            f"{len(bad)} packages {verb} ({', '.join(bad)}); "
            f"`olivine batch retry {out['batch_id']}` runs them again"
        )


@batch_app.command("show")
def batch_show(batch_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Per package: imported or built, failed (why), skipped (a dependency failed)."""
    out = Api(current()).get(f"/api/v1/batches/{batch_id}")
    show(out, True) if current().json else summary(out)


@batch_app.command("retry")
def batch_retry(
    batch_id: int = typer.Argument(..., metavar="ID"),
    wait: bool = typer.Option(False, "--wait", help="wait; fail if any package is not done"),
) -> None:
    """A new batch, of the same kind, of the packages that did not end done."""
    api = Api(current())
    started(api, api.post(f"/api/v1/batches/{batch_id}/retry"), wait)
