"""The `olivine` command line. Global options (any position): --url, --token, --json."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.core

from olivine.cli import admin, projects, tasks
from olivine.cli.client import CliError
from olivine.cli.state import extract_globals
from olivine.errors import OlivineError

app = typer.Typer(
    name="olivine",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _no_flag_types() -> None:
    """Typer's help shows a `<bool>` type beside every flag (--json, --wait, --help): a flag
    takes no value, so it shows none. Typer has no setting for this; its one display hook is
    overridden here, before any help is printed."""
    original = typer.core.TyperOption.display_type_rich

    def display(self: typer.core.TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    typer.core.TyperOption.display_type_rich = display  # type: ignore[method-assign]


@app.callback()
def _global_options(
    url: str = typer.Option(None, "--url", help="the Olivine server (else OLIVINE_URL, login, up)"),
    token: str = typer.Option(None, "--token", help="an API token (else OLIVINE_TOKEN, ...)"),
    json: bool = typer.Option(False, "--json", help="machine-readable output"),
    data_dir: str = typer.Option(
        None, "--data-dir", help="the local `olivine up` data directory (default ./.olivine)"
    ),
) -> None:
    """Olivine: build RPM distributions.

    The global options work in any position, before or after the command."""
    # Taken out of argv by extract_globals before Click parses it: listed here for --help.


def _register() -> None:
    from olivine.cli import serve

    app.command("up")(serve.up)
    app.command("worker")(serve.worker)
    app.command("login")(admin.login)
    app.add_typer(admin.user_app, name="user")
    app.add_typer(admin.token_app, name="token")
    app.add_typer(admin.role_app, name="role")
    app.add_typer(projects.project_app, name="project")
    app.add_typer(projects.package_app, name="package")
    app.add_typer(tasks.task_app, name="task")
    for extra in _capability_commands():
        extra(app)


def _capability_commands() -> list[Callable[[typer.Typer], None]]:
    """Each capability's `register(app)`; capabilities add themselves here."""
    from olivine.cli import builds, imports, keys, modules, repos, verify

    return [imports.register, repos.register, builds.register, verify.register, modules.register,
            keys.register]  # fmt: skip


def main() -> None:
    argv, options = extract_globals(sys.argv[1:])
    _no_flag_types()
    _register()
    try:
        app(args=argv, standalone_mode=False, obj=options)  # current() reads it
    except CliError as e:
        print(f"olivine: {e}", file=sys.stderr)
        sys.exit(1)
    except OlivineError as e:
        print(f"olivine: {e.message}", file=sys.stderr)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:
        show = getattr(e, "show", None)  # Click's usage errors (typer vendors Click)
        if show is None:
            raise
        show()
        sys.exit(getattr(e, "exit_code", 2))
