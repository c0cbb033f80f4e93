"""Read directive files into DirectiveFile: Olivine's YAML format and srpmproc's .cfg.

A directive file comes from a patch repository (upstream content, read by the root worker): it is
composed by the project file's BoundedLoader (olivine.projects.loader), which refuses alias
bombs and nesting beyond its bounds, naming the line, before any of it is expanded."""

from __future__ import annotations

from typing import Any

import yaml
from google.protobuf import text_format

from olivine.imports.errors import DirectiveError
from olivine.imports.patches import model as m
from olivine.imports.patches.cfgproto import field_lines, parse_cfg
from olivine.projects.loader import BoundedLoader, YamlLimitExceeded

LINE = "__line__"


class _LineLoader(BoundedLoader):
    """Keeps the line where each mapping starts, so errors can point at the directive (a
    SafeLoader with the project file's bounds on aliases and depth)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


_KEYS: dict[str, set[str]] = {
    "replace": {"file", "with_file", "with_inline", "with_lookaside"},
    "delete": {"file"},
    "add": {"file", "lookaside", "name"},
    "patch": {"file", "strict"},
    "lookaside": {"files", "file", "tar", "archive_name", "from_patch_tree"},
    "files": {"name", "type", "add", "delete", "add_to_prep", "strip", "n_path"},
    "changelog": {"author_name", "author_email", "message"},
    "search_and_replace": {"field", "any", "starts_with", "ends_with", "find", "replace", "n"},
    "append": {"field", "value"},
    "new_field": {"key", "value"},
}
TOP = {"replace", "delete", "add", "patch", "lookaside", "spec"}
SPEC = {"files", "changelog", "search_and_replace", "append", "new_field"}


def load_yaml(path: str, text: str) -> m.DirectiveFile:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a bounded SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = e.problem if isinstance(e, YamlLimitExceeded) else f"not valid YAML: {e}"
        raise DirectiveError("file", where, str(problem)) from None
    out = m.DirectiveFile(path)
    if doc is None:
        return out
    if not isinstance(doc, dict):
        raise DirectiveError("file", f"{path}:1", "expected a mapping of directive kinds")
    _unknown("file", path, doc, TOP)
    for kind in ("replace", "delete", "add", "patch", "lookaside"):
        for item in _items(path, doc, kind):
            getattr(out, kind).append(_build(kind, m.Origin(path, item[LINE]), item))
    spec = doc.get("spec") or {}
    if spec:
        _unknown("spec", f"{path}:{spec[LINE]}", spec, SPEC)
    for kind in ("files", "changelog", "search_and_replace", "append", "new_field"):
        for item in _items(path, spec, kind):
            target = "spec_file" if kind == "files" else kind
            getattr(out, target).append(_build(kind, m.Origin(path, item[LINE]), item))
    return out


def _unknown(kind: str, where: str, d: dict[str, Any], allowed: set[str]) -> None:
    bad = sorted(str(k) for k in d if k != LINE and k not in allowed)
    if bad:
        raise DirectiveError(
            kind, where, f"unknown key(s) {', '.join(bad)} (allowed: {', '.join(sorted(allowed))})"
        )


def _items(path: str, doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    items = doc.get(kind) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        line = doc.get(LINE, 1)
        raise DirectiveError(kind, f"{path}:{line}", "expected a list of mappings")
    for i in items:
        _unknown(kind, f"{path}:{i[LINE]}", i, _KEYS[kind])
    return items


def _build(kind: str, o: m.Origin, d: dict[str, Any]) -> Any:
    """One directive from plain values (both formats end here), checked for what it needs."""

    def s(key: str) -> str | None:
        v = d.get(key)
        return None if v in (None, "") else str(v)

    def req(key: str) -> str:
        v = s(key)
        if v is None:
            raise DirectiveError(kind, str(o), f"'{key}' is required")
        return v

    def one_of(*keys: str) -> None:
        given = [k for k in keys if d.get(k) not in (None, "", False)]
        if len(given) != 1:
            raise DirectiveError(kind, str(o), f"exactly one of {', '.join(keys)} is required")

    if kind == "replace":
        one_of("with_file", "with_inline", "with_lookaside")
        return m.Replace(
            o,
            req("file"),
            s("with_file"),
            None if d.get("with_inline") is None else str(d["with_inline"]),
            s("with_lookaside"),
        )
    if kind == "delete":
        return m.Delete(o, req("file"))
    if kind == "add":
        one_of("file", "lookaside")
        return m.Add(o, s("file"), s("lookaside"), s("name"))
    if kind == "patch":
        return m.Patch(o, req("file"), bool(d.get("strict", False)))
    if kind == "lookaside":
        files = d.get("files") or d.get("file") or []
        files = [files] if isinstance(files, str) else list(files)
        if not files:
            raise DirectiveError(kind, str(o), "'files' lists nothing")
        if d.get("tar") and not s("archive_name"):
            raise DirectiveError(kind, str(o), "'archive_name' is required with tar")
        return m.Lookaside(
            o,
            tuple(str(f) for f in files),
            bool(d.get("tar")),
            s("archive_name"),
            bool(d.get("from_patch_tree")),
        )
    if kind == "files":
        ftype = str(d.get("type", "")).lower()
        if ftype not in ("source", "patch"):
            raise DirectiveError("spec file", str(o), "'type' must be source or patch")
        one_of("add", "delete")
        strip = d.get("strip", d.get("n_path")) or 1
        return m.SpecFile(
            o, req("name"), ftype, bool(d.get("add")), bool(d.get("add_to_prep")), int(strip)
        )
    if kind == "changelog":
        msg = d.get("message") or []
        msg = [msg] if isinstance(msg, str) else list(msg)
        if not msg:
            raise DirectiveError(kind, str(o), "'message' is empty")
        return m.Changelog(o, req("author_name"), req("author_email"), tuple(map(str, msg)))
    if kind == "search_and_replace":
        one_of("field", "any", "starts_with", "ends_with")
        if "find" not in d or d["find"] in (None, ""):
            raise DirectiveError(kind, str(o), "'find' is required")
        return m.SearchReplace(
            o,
            str(d["find"]),
            str(d.get("replace") or ""),
            s("field"),
            bool(d.get("any")),
            bool(d.get("starts_with")),
            bool(d.get("ends_with")),
            int(d.get("n", -1)),
        )
    if kind == "append":
        return m.Append(o, req("field"), req("value"))
    if kind == "new_field":
        key = req("key")
        if key.lower().startswith(("source", "patch")):
            raise DirectiveError(kind, str(o), "use a spec file directive for Source/Patch")
        return m.NewField(o, key, req("value"))
    raise AssertionError(kind)


def load_cfg(path: str, text: str) -> m.DirectiveFile:
    """A srpmproc .cfg file, unchanged."""
    try:
        cfg = parse_cfg(text)
    except text_format.ParseError as e:
        raise DirectiveError(
            "file", f"{path}:{e.GetLine()}", f"not a valid srpmproc cfg: {e}"
        ) from None
    lines = field_lines(text)

    def origin(*key: str, i: int) -> m.Origin:
        found = lines.get(key) or [1]
        return m.Origin(path, found[min(i, len(found) - 1)])

    out = m.DirectiveFile(path)
    for kind in ("replace", "delete", "add", "patch", "lookaside"):
        for i, msg in enumerate(getattr(cfg, kind)):
            d = _plain(msg)
            if kind == "lookaside":
                d["files"] = list(msg.file) + list(msg.files)
            getattr(out, kind).append(_build(kind, origin(kind, i=i), d))
    if cfg.HasField("spec_change"):
        sc = cfg.spec_change
        for i, fo in enumerate(sc.file):
            d = _plain(fo)
            d["type"] = {1: "source", 2: "patch"}.get(fo.type, "")
            out.spec_file.append(_build("files", origin("spec_change", "file", i=i), d))
        for kind in ("changelog", "search_and_replace", "append", "new_field"):
            for i, msg in enumerate(getattr(sc, kind)):
                d = _plain(msg)
                if kind == "search_and_replace":
                    d["n"] = msg.n
                if kind == "changelog":
                    d["message"] = list(msg.message)
                getattr(out, kind).append(_build(kind, origin("spec_change", kind, i=i), d))
    return out


def _plain(msg: Any) -> dict[str, Any]:
    return {f.name: v for f, v in msg.ListFields()}
