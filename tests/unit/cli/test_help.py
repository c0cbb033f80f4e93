"""`--help` of every command: a line for each of its options and subcommands, no internal names
(`olivine build P PKG` runs a hidden command), no `<bool>` beside a flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer._click.core import Command
from typer.core import TyperGroup as Group
from typer.testing import CliRunner

from olivine.cli import main
from olivine.cli.context import CliContext

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    if not main.app.registered_commands:  # main() registers the commands once per process
        main._no_flag_types()
        main._register()
    return main.app


def _help(app: typer.Typer, *args: str) -> str:
    r = runner.invoke(app, [*args, "--help"], obj=CliContext(), terminal_width=200)
    assert r.exit_code == 0, r.output
    return r.output


def test_build_P_help_shows_the_build_command_as_it_is_typed(app: typer.Typer) -> None:
    text = _help(app, "build", "P")
    assert "_build" not in text
    assert "Usage: olivine build [OPTIONS] {P} {PKG}" in text
    for option in ("--scm-hash", "--scratch", "--wait", "--follow", "--help"):
        assert option in text, option
    assert "<bool>" not in text
    group = _help(app, "build")
    assert "_build" not in group and "`olivine build P PKG --help`" in group
    for name in ("list", "show", "download"):
        assert f"│ {name} " in group, name


def test_a_usage_error_names_the_command_as_it_is_typed(app: typer.Typer) -> None:
    r = runner.invoke(app, ["build", "P"], obj=CliContext())
    assert r.exit_code == 2
    assert "_build" not in r.output and "Missing argument 'PKG'" in r.output
    assert "Usage: olivine build [OPTIONS] {P} {PKG}" in r.output


def _commands(cmd: Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, cmd
    if isinstance(cmd, Group):
        for name, sub in cmd.commands.items():
            # the build group's hidden default command is reached as `olivine build P ...`
            yield from _commands(sub, (*path, "P") if sub.hidden else (*path, name))


def test_every_help_has_a_line_for_each_command_and_option(app: typer.Typer) -> None:
    root = typer.main.get_command(app)
    seen = 0
    for path, cmd in _commands(root, ()):
        text = _help(app, *path)
        where = " ".join(("olivine", *path))
        assert "_build" not in text and "<bool>" not in text, where
        for param in cmd.params:
            if getattr(param, "hidden", False) or param.param_type_name != "option":
                continue
            assert param.opts[0] in text, f"{where}: {param.opts[0]}"
        if isinstance(cmd, Group):
            for name, sub in cmd.commands.items():
                assert sub.hidden or f" {name} " in text, f"{where}: {name}"
        seen += 1
    assert seen > 50  # every command of the CLI was looked at
