"""Read a project file: YAML -> ProjectFile, with every problem reported at its file position.

PyYAML gives positions only on its node tree, so the document is composed once; values come from
the same tree, and pydantic's error locations are walked back through it to a line and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from olivine.errors import ValidationFailed
from olivine.projects.schema import ProjectFile


def load_project_text(text: str, filename: str = "<project file>") -> ProjectFile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        problem = getattr(e, "problem", None) or str(e)
        raise ValidationFailed(f"{where}: not valid YAML: {problem}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ValidationFailed(f"{filename}: a project file is a YAML mapping (name: ..., ...)")
    _reject_duplicate_keys(root, filename)
    data = yaml.SafeLoader(text).get_single_data()
    try:
        return ProjectFile.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(_describe(e, root, filename)) from None


def _describe(e: ValidationError, root: yaml.Node, filename: str) -> str:
    lines = []
    for err in e.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        node, path = _locate(root, loc, key=err["type"] == "extra_forbidden")
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        dotted = ".".join(str(p) for p in path) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{loc[-1]}'"
        elif err["type"] == "missing":
            msg = f"missing required key '{loc[-1]}'"
        lines.append(f"{filename}:{line}:{col}: {dotted}: {msg}")
    return "; ".join(lines)


def _locate(node: yaml.Node, loc: Sequence[Any], key: bool) -> tuple[yaml.Node, list[Any]]:
    """The deepest node on `loc` (the key itself when `key`), and the path that reached it."""
    path: list[Any] = []
    for i, part in enumerate(loc):
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    child = k if key and i == len(loc) - 1 else v
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
        path.append(part)
    return node, path


def _reject_duplicate_keys(node: yaml.Node, filename: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if k.value in seen:
                m = k.start_mark
                raise ValidationFailed(
                    f"{filename}:{m.line + 1}:{m.column + 1}: key '{k.value}' appears twice"
                )
            seen.add(k.value)
            _reject_duplicate_keys(v, filename)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, filename)
