"""`olivine task list | show | logs | cancel`, and waiting for a task (`--wait` elsewhere)."""

from __future__ import annotations

import sys
import time
from typing import Any

import typer
from rich.markup import escape

from olivine.cli.client import Api, CliError
from olivine.cli.follow import LogFollower, follow_task
from olivine.cli.output import console, show
from olivine.cli.state import current

task_app = typer.Typer(help="Tasks: every step of every job.", no_args_is_help=True)
TERMINAL = {"succeeded", "failed", "canceled"}
COLUMNS = ["id", "kind", "status", "project", "package", "arch", "submitter", "created_at"]


@task_app.command("list")
def task_list(
    project: str = typer.Option(None, "--project", "-p"),
    kind: str = typer.Option(None, "--kind"),
    status: str = typer.Option(None, "--status"),
    package: str = typer.Option(None, "--package"),
    submitter: str = typer.Option(None, "--submitter"),
    offset: int = typer.Option(0, "--offset"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    params = {
        k: v
        for k, v in {
            "project": project,
            "kind": kind,
            "status": status,
            "package": package,
            "submitter": submitter,
            "offset": offset,
            "limit": limit,
        }.items()
        if v is not None
    }
    page = Api(current()).get("/api/v1/tasks", params=params)
    if current().json:
        show(page, True)
        return
    show(page["items"], False, COLUMNS)
    if page["total"] > offset + len(page["items"]):
        console.print(f"({page['total']} in all; --offset {offset + len(page['items'])} for more)")


@task_app.command("show")
def task_show(task_id: int = typer.Argument(..., metavar="ID")) -> None:
    t = Api(current()).get(f"/api/v1/tasks/{task_id}")
    if current().json:
        show(t, True)
        return
    _print_tree(t, 0)
    links = [(k, t.get(k)) for k in ("build_id", "batch_id", "import_revision_id")]
    said = [f"{k.removesuffix('_id').replace('_', ' ')} {v}" for k, v in links if v]
    if said:
        console.print("belongs to: " + ", ".join(said))
    took = duration_text(t.get("duration_s"))
    when = " → ".join(x for x in (t.get("started_at"), t.get("finished_at")) if x)
    console.print(f"duration: {took}" + (f" ({when})" if when else "") if took else "not started")
    if t.get("error"):
        console.print(f"[red]error[/red]: {t['error']}")


def duration_text(seconds: float | None) -> str:
    """`1h02m03s`, `2m05s`, `4.2s`; empty when there is none."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, sec = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s"


def _print_tree(t: dict[str, Any], depth: int) -> None:
    arch = f" [{t['arch']}]" if t.get("arch") else ""
    what = " ".join(x for x in (t.get("project"), t.get("package")) if x)
    by = f" by {t['canceled_by']}" if t.get("canceled_by") else ""
    console.print(  # escaped: `[noarch]` is text, not a rich markup tag
        escape(
            f"{'  ' * depth}{t['id']} {t['kind']}{arch} {what} — {t['status']}{by} {t['summary']}"
        )
    )
    for child in t.get("children") or []:
        _print_tree(child, depth + 1)


@task_app.command("logs")
def task_logs(
    task_id: int = typer.Argument(..., metavar="ID"),
    follow: bool = typer.Option(
        False,
        "--follow",
        "-f",
        help="keep printing until the task ends, its subtasks' logs too ([arch] lines)",
    ),
) -> None:
    api = Api(current())
    if follow:
        follow_task(api, task_id)
        return
    after = -1
    while True:
        out = api.get(f"/api/v1/tasks/{task_id}/logs", params={"after": after})
        for c in out["chunks"]:
            sys.stdout.write(c["text"])
            after = c["seq"]
        if out["done"] or not out["chunks"]:
            break


@task_app.command("cancel")
def task_cancel(task_id: int = typer.Argument(..., metavar="ID")) -> None:
    t = Api(current()).post(f"/api/v1/tasks/{task_id}/cancel")
    show(t, True) if current().json else console.print(
        f"task {task_id}: cancel requested ({t['status']})"
    )


def wait_for_task(
    api: Api, task_id: int, poll: float = 1.0, follow: LogFollower | None = None
) -> dict[str, Any]:
    """Show progress (with `follow`, the logs of the task and its subtasks as they grow) until
    the task ends; CliError when it did not succeed."""
    last = None
    start = time.monotonic()
    while True:
        t: dict[str, Any] = api.get(f"/api/v1/tasks/{task_id}")
        elapsed = duration_text(time.monotonic() - start)
        if follow is not None:
            follow.poll(t)
        if t["status"] != last and not current().json:
            console.print(f"[{elapsed}] task {task_id} {t['kind']}: {t['status']}")
            last = t["status"]
        if t["status"] in TERMINAL:
            if t["status"] != "succeeded":
                raise CliError(
                    f"task {task_id} {t['status']} after {elapsed}: "
                    f"{t.get('error') or 'no reason given'}"
                )
            return t
        time.sleep(poll)
