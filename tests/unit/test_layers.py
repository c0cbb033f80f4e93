"""The web UI and the CLI are thin over the components: no web or CLI module imports an API
route module (they call the components' submit() and query functions, as the routes do)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "olivine"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_web_or_cli_module_imports_an_api_route() -> None:
    offenders = {
        f"{path.relative_to(SRC)}: {name}"
        for layer in ("web", "cli")
        for path in (SRC / layer).rglob("*.py")
        for name in _imports(path)
        if name.startswith("olivine.api.routes")
    }
    assert not offenders, sorted(offenders)
