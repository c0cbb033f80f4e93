"""Options that apply to every command (--url, --token, --json, --data-dir), in any position.

Click parses options per command; these are global by contract (DESIGN.md), so they are taken
out of argv before Click sees it."""

from __future__ import annotations

from olivine.cli.context import CliContext

STATE = CliContext()
GLOBAL_VALUE_OPTIONS = {"--url": "url", "--token": "token", "--data-dir": "data_dir"}


def extract_globals(argv: list[str]) -> list[str]:
    """Take the global options out of argv so every command accepts them wherever they stand."""
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
            setattr(STATE, GLOBAL_VALUE_OPTIONS[name], value)
        elif arg == "--json":
            STATE.json = True
        else:
            out.append(arg)
        i += 1
    return out
