"""`olivine repo list|file|revisions|diff|rollback|publish` and `olivine rpm import P FILE...`."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import typer

from olivine.cli.client import Api, CliError
from olivine.cli.output import console, show
from olivine.cli.state import current

repo_app = typer.Typer(help="Repositories of a project, served to dnf.", no_args_is_help=True)
rpm_app = typer.Typer(help="Binary RPMs a manager brings into a project.", no_args_is_help=True)

REVISION_COLUMNS = ["arch", "number", "package_count", "added", "removed", "current", "created_at"]


@repo_app.command("list")
def repo_list(project: str = typer.Argument(..., metavar="P")) -> None:
    """Each repository and the current revision of each of its arches."""
    out = Api(current()).get(f"/api/v1/projects/{project}/repos")
    if current().json:
        show(out, True)
        return
    for r in out:
        arches = ", ".join(f"{a} r{n}" for a, n in sorted(r["arches"].items())) or "not published"
        console.print(f"{r['name']}{'' if r['active'] else ' (inactive)'}: {arches}")


@repo_app.command("file")
def repo_file(
    project: str = typer.Argument(..., metavar="P"), repo: str = typer.Argument(..., metavar="REPO")
) -> None:
    """Print a .repo file for /etc/yum.repos.d (of a repository the project has)."""
    api = Api(current())
    names = [r["name"] for r in api.get(f"/api/v1/projects/{project}/repos")]
    if repo not in {*names, "all"}:
        have = ",".join(sorted({*names, "all"}))
        raise CliError(f"project {project} has no repository {repo!r} (it has: {have})")
    sys.stdout.write(api.get(f"/repos/{project}/{repo}.repo"))


@repo_app.command("revisions")
def repo_revisions(
    project: str = typer.Argument(..., metavar="P"),
    repo: str = typer.Argument(..., metavar="REPO"),
    arch: str = typer.Argument(None, metavar="[ARCH]"),
) -> None:
    """Revisions of a repository (newest first), optionally of one arch."""
    params = {"arch": arch} if arch else {}
    out = Api(current()).get(f"/api/v1/projects/{project}/repos/{repo}/revisions", params=params)
    show(out, current().json, REVISION_COLUMNS)


@repo_app.command("diff")
def repo_diff(
    project: str = typer.Argument(..., metavar="P"),
    repo: str = typer.Argument(..., metavar="REPO"),
    arch: str = typer.Argument(..., metavar="ARCH"),
    old: int = typer.Argument(..., metavar="FROM"),
    new: int = typer.Argument(..., metavar="TO"),
) -> None:
    """Packages added and removed between two revisions of one repo arch."""
    params = {"arch": arch, "from": old, "to": new}
    out = Api(current()).get(f"/api/v1/projects/{project}/repos/{repo}/diff", params=params)
    if current().json:
        show(out, True)
        return
    for nevra in out["added"]:
        console.print(f"+ {nevra}")
    for nevra in out["removed"]:
        console.print(f"- {nevra}")


@repo_app.command("rollback")
def repo_rollback(
    project: str = typer.Argument(..., metavar="P"),
    repo: str = typer.Argument(..., metavar="REPO"),
    to: int = typer.Option(..., "--to", help="the revision to make current again"),
    arch: str = typer.Option(None, "--arch", help="only this arch"),
) -> None:
    """Serve an old revision again (the next publish moves forward as a new revision)."""
    out = Api(current()).post(
        f"/api/v1/projects/{project}/repos/{repo}/rollback", json={"to": to, "arch": arch}
    )
    if current().json:
        show(out, True)
        return
    if out["status"] != "succeeded":
        console.print(f"{project}/{repo}: rollback to {to} is running (task {out['task_id']})")
        return
    console.print(f"{project}/{repo}: revision {to} is current for {', '.join(out['arches'])}")


@repo_app.command("publish")
def repo_publish(project: str = typer.Argument(..., metavar="P")) -> None:
    """Publish every repository of a project again (selecting their packages afresh)."""
    out = Api(current()).post(f"/api/v1/projects/{project}/publish", json={"full": True})
    show(out, True) if current().json else console.print(
        f"publish requested: task {out['task_id']} (`olivine task logs {out['task_id']}`)"
    )


@rpm_app.command("import")
def rpm_import(
    project: str = typer.Argument(..., metavar="P"),
    files: list[Path] = typer.Argument(..., metavar="FILE..."),
) -> None:
    """Seed a project with existing binary RPMs (labelled imported, with you as uploader)."""
    with ExitStack() as stack:
        try:
            parts = [("files", (f.name, stack.enter_context(open(f, "rb")))) for f in files]
        except OSError as e:
            raise CliError(f"cannot read {e.filename}: {e.strerror}") from None
        out = Api(current(), timeout=3600).post(f"/api/v1/projects/{project}/rpms", files=parts)
    if current().json:
        show(out, True)
        return
    for a in out["artifacts"]:
        console.print(f"{'imported' if a['created'] else 'already there'}: {a['nevra']}")
    if out["workflow_id"]:
        console.print(f"publishing ({out['workflow_id']})")


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
    app.add_typer(rpm_app, name="rpm")
