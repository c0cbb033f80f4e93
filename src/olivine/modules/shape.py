"""Shape checks of a modulemd document before libmodulemd reads it.

Hand-written on purpose: libmodulemd's packager reader accepts a list where a stream name
belongs, a component with no rationale and a string where a license list belongs (it fills in
or ignores them), and its errors name no field. These checks walk the YAML node tree (composed,
not constructed, so `stream: 1.10` stays the text `1.10`) and name the field that is wrong."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from olivine.errors import ValidationFailed

KNOWN = {("modulemd", "2"), ("modulemd-packager", "2"), ("modulemd-packager", "3")}
_COMMON = {"name", "stream", "summary", "description", "license", "xmd", "references",
           "profiles", "api", "filter", "demodularized", "components"}  # fmt: skip
# The keys of each document's `data` (libmodulemd drops others without a word: refused here)
DATA_KEYS = {
    ("modulemd", "2"): _COMMON | {"version", "context", "arch", "servicelevels", "dependencies",
                                  "buildopts", "artifacts", "static_context", "eol"},
    ("modulemd-packager", "2"): _COMMON | {"dependencies"},
    ("modulemd-packager", "3"): _COMMON | {"configurations"},
}  # fmt: skip


def _fail(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"invalid modulemd: {field} {problem}")


def _items(node: MappingNode) -> dict[str, Node]:
    return {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    return "a list" if isinstance(node, SequenceNode) else "a string"


def _expect(node: Node | None, field: str, cls: type[Node], required: bool = False) -> None:
    if node is None:
        if required:
            raise _fail(field, "is missing")
        return
    if not isinstance(node, cls):
        want = {ScalarNode: "a string", SequenceNode: "a list", MappingNode: "a mapping"}[cls]
        raise _fail(field, f"must be {want}, not {_kind(node)}")


def _strings(node: Node | None, field: str, required: bool = False) -> None:
    _expect(node, field, SequenceNode, required)
    for i, item in enumerate(node.value if isinstance(node, SequenceNode) else []):
        _expect(item, f"{field}[{i}]", ScalarNode)


def _mapping_of(node: Node | None, field: str, check: Callable[[Node, str], None]) -> None:
    _expect(node, field, MappingNode)
    if isinstance(node, MappingNode):
        for key, value in _items(node).items():
            check(value, f"{field}.{key}")


def compose(text: str) -> MappingNode:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise ValidationFailed(f"invalid modulemd: not YAML ({e})") from None
    if not isinstance(root, MappingNode):
        raise ValidationFailed("invalid modulemd: the document is not a YAML mapping")
    return root


def check_shape(text: str) -> tuple[str, str, MappingNode]:
    """Check one document; return its (document type, version, data node)."""
    top = _items(compose(text))
    _expect(top.get("document"), "document", ScalarNode, required=True)
    _expect(top.get("version"), "version", ScalarNode, required=True)
    doc, ver = str(top["document"].value), str(top["version"].value)
    if (doc, ver) not in KNOWN:
        known = ", ".join(f"{d} v{v}" for d, v in sorted(KNOWN))
        raise _fail("document/version", f"{doc} v{ver} is not a known document (known: {known})")
    data = top.get("data")
    _expect(data, "data", MappingNode, required=True)
    assert isinstance(data, MappingNode)
    _check_data(_items(data), doc, ver)
    return doc, ver, data


def _check_data(d: dict[str, Node], doc: str, ver: str) -> None:
    for key in sorted(set(d) - DATA_KEYS[(doc, ver)]):
        raise _fail(f"data.{key}", f"is not part of a {doc} v{ver} document")
    for key in ("name", "stream"):
        _expect(d.get(key), f"data.{key}", ScalarNode, required=doc == "modulemd")
    _expect(d.get("summary"), "data.summary", ScalarNode, required=True)
    _expect(d.get("description"), "data.description", ScalarNode, required=True)
    if ver == "3":
        _strings(d.get("license"), "data.license", required=True)
        _strings_per_key(d.get("configurations"), "data.configurations")
    else:
        lic = d.get("license")
        _expect(lic, "data.license", MappingNode, required=True)
        assert isinstance(lic, MappingNode)
        _strings(_items(lic).get("module"), "data.license.module", required=True)
        _dependencies(d.get("dependencies"))
    comps = d.get("components")
    _expect(comps, "data.components", MappingNode)
    if isinstance(comps, MappingNode):
        for kind in ("rpms", "modules"):
            _mapping_of(_items(comps).get(kind), f"data.components.{kind}", _component)


def _component(node: Node, field: str) -> None:
    _expect(node, field, MappingNode)
    assert isinstance(node, MappingNode)
    c = _items(node)
    _expect(c.get("rationale"), f"{field}.rationale", ScalarNode, required=True)
    for key in ("ref", "buildorder", "repository", "name"):
        _expect(c.get(key), f"{field}.{key}", ScalarNode)
    for key in ("arches", "multilib", "buildafter"):
        _strings(c.get(key), f"{field}.{key}")
    order = c.get("buildorder")
    if isinstance(order, ScalarNode) and not _is_int(order.value):
        raise _fail(f"{field}.buildorder", f"must be an integer, not '{order.value}'")


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _dependencies(node: Node | None) -> None:
    _expect(node, "data.dependencies", SequenceNode)
    for i, dep in enumerate(node.value if isinstance(node, SequenceNode) else []):
        field = f"data.dependencies[{i}]"
        _expect(dep, field, MappingNode)
        for kind, value in _items(dep).items():
            _mapping_of(value, f"{field}.{kind}", _strings)


def _strings_per_key(node: Node | None, field: str) -> None:
    _expect(node, field, SequenceNode)
    for i, conf in enumerate(node.value if isinstance(node, SequenceNode) else []):
        f = f"{field}[{i}]"
        _expect(conf, f, MappingNode)
        c = _items(conf) if isinstance(conf, MappingNode) else {}
        _expect(c.get("context"), f"{f}.context", ScalarNode, required=True)
        _expect(c.get("platform"), f"{f}.platform", ScalarNode, required=True)
        for kind in ("buildrequires", "requires"):
            _mapping_of(c.get(kind), f"{f}.{kind}", _strings)


def scalar(data: MappingNode, key: str) -> str | None:
    node = _items(data).get(key)
    return str(node.value) if isinstance(node, ScalarNode) else None
