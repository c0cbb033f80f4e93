"""Printing: tables for people, JSON for machines (--json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def cell(v: Any) -> str:
    """One value as printed: lists as `x86_64,aarch64`, timestamps as the API spells them (UTC
    with a `Z`, api/schemas.py utc_text), nothing for None."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ",".join(cell(x) for x in v)
    if isinstance(v, dict):
        return ",".join(f"{k}:{cell(x)}" for k, x in v.items())
    return str(v)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Columns for a terminal; for a pipe or a file, whole values separated by tabs (a table
    fitted to a width would cut NEVRs and commits)."""
    if not console.is_terminal:
        print("\t".join(c.upper() for c in columns))
        for r in rows:
            print("\t".join(cell(r.get(c)) for c in columns))
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for c in columns:
        t.add_column(c.upper())
    for r in rows:
        t.add_row(*[cell(r.get(c)) for c in columns])
    console.print(t)


def show(data: Any, as_json: bool, columns: Sequence[str] | None = None) -> None:
    if as_json:
        emit_json(data)
    elif isinstance(data, list) and columns:
        table(data, columns)
    elif isinstance(data, dict):
        for k, v in data.items():
            nested = isinstance(v, dict) or (isinstance(v, list) and any(_deep(x) for x in v))
            if v is not None and not nested:
                console.print(f"[bold]{k}[/bold]: {cell(v)}")
    else:
        console.print(data)


def _deep(v: Any) -> bool:
    return isinstance(v, (dict, list))
