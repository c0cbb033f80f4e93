"""Read a project file: YAML -> ProjectFile, with every problem reported at its file position.

PyYAML gives positions only on its node tree, so the document is composed once; values come from
the same tree, and pydantic's error locations are walked back through it to a line and column.

The composer is bounded (BoundedLoader): a project file comes from any manager, and YAML aliases
let 500 bytes stand for a billion nodes (the "billion laughs"), which every later walk of the
tree (duplicate keys, construction, validation) would expand. PyYAML has no such limit of its own,
so the composer counts aliases, the nodes they expand to, and the nesting depth, and stops at the
first one over its bound, naming the line. The parse is CPU work: the API runs it in a thread
(load_project_text_async) so that it never holds the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import yaml
from anyio import to_thread
from pydantic import ValidationError
from yaml.events import AliasEvent

from olivine.errors import ValidationFailed
from olivine.projects.schema import ProjectFile
from olivine.workflows.client import check_payload_size

MAX_ALIASES = 100  # anchors are handy for shared package settings; a few dozen is plenty
MAX_ALIAS_NODES = 10_000  # nodes that aliases may add to the tree once expanded
MAX_DEPTH = 64  # a project file nests about 6 levels deep


class YamlLimitExceeded(yaml.MarkedYAMLError):
    """The document is over one of BoundedLoader's bounds (problem and problem_mark say where)."""


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses alias bombs, recursive aliases and deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._alias_nodes = 0
        self._weight: dict[int, int] = {}  # id(node) -> nodes in its expanded subtree

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(AliasEvent):
            return self._compose_alias(parent, index)
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(mark, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            node = self._compose(parent, index)
        finally:
            self._depth -= 1
        self._weight[id(node)] = 1 + sum(self._weight[id(c)] for c in _children(node))
        return node

    def _compose_alias(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        mark = self.peek_event().start_mark
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            self._refuse(mark, f"more than {MAX_ALIASES} aliases (*name)")
        node = self._compose(parent, index)
        weight = self._weight.get(id(node))
        if weight is None:  # the anchored node is still being composed: it contains the alias
            self._refuse(mark, "an alias refers to a node that contains it")
        self._alias_nodes += weight
        if self._alias_nodes > MAX_ALIAS_NODES:
            self._refuse(mark, f"aliases that expand to more than {MAX_ALIAS_NODES} nodes")
        return node

    def _compose(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        node = super().compose_node(parent, index)
        assert node is not None  # None only at the end of the stream, never inside a document
        return node

    @staticmethod
    def _refuse(mark: yaml.Mark, problem: str) -> NoReturn:
        raise YamlLimitExceeded(problem=f"refused: {problem}", problem_mark=mark)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


async def load_project_text_async(text: str, filename: str = "<project file>") -> ProjectFile:
    """load_project_text in a worker thread: what an event loop (the API) calls."""
    return await to_thread.run_sync(load_project_text, text, filename)


def load_project_text(text: str, filename: str = "<project file>") -> ProjectFile:
    try:
        loader = BoundedLoader(text)  # the reader refuses control characters (NUL) here
        root = loader.get_single_node()
    except YamlLimitExceeded as e:
        raise ValidationFailed(f"{_where(e, filename)}: {e.problem}") from None
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).replace("\n", " ")
        raise ValidationFailed(f"{_where(e, filename)}: not valid YAML: {problem}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ValidationFailed(f"{filename}: a project file is a YAML mapping (name: ..., ...)")
    _reject_duplicate_keys(root, filename)
    try:
        data = loader.construct_document(root)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e)
        raise ValidationFailed(f"{_where(e, filename)}: {problem}") from None
    try:
        pf = ProjectFile.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(_describe(e, root, filename)) from None
    check_payload_size(pf.normalised(), f"project file {filename}")
    return pf


def _where(e: yaml.YAMLError, filename: str) -> str:
    mark = getattr(e, "problem_mark", None)
    return f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename


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
