"""Options that apply to every command (--url, --token, --json, --data-dir), in any position.

Click parses options per command; these are global by contract (DESIGN.md), so they are taken
out of argv before Click sees it."""

from __future__ import annotations

from typer._click.globals import get_current_context  # typer's own copy of Click

from olivine.cli.context import CliContext

GLOBAL_VALUE_OPTIONS = {"--url": "url", "--token": "token", "--data-dir": "data_dir"}


def current() -> CliContext:
    """The global options of the command being run (Click's context object, set by main())."""
    ctx = get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if not isinstance(obj, CliContext):
        raise RuntimeError("olivine.cli.state.current() called outside a command")
    return obj


def extract_globals(argv: list[str]) -> tuple[list[str], CliContext]:
    """Take the global options out of argv so every command accepts them wherever they stand."""
    found = CliContext()
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in GLOBAL_VALUE_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    out.append(arg)
                    break
                value = argv[i + 1]
                i += 1
            setattr(found, GLOBAL_VALUE_OPTIONS[name], value)
        elif arg == "--json":
            found.json = True
        else:
            out.append(arg)
        i += 1
    return out, found
