"""Module sources: a modulemd document (SOURCES/modulemd.src.txt, or <name>.yaml) whose rpm
components are pinned on import to the forge commit of each component, so a module build later
builds exactly what was imported. Read and written by libmodulemd (through gi)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from olivine.errors import ValidationFailed

CANDIDATES = ("SOURCES/modulemd.src.txt", "{name}.yaml", "SOURCES/{name}.yaml")


def find_modulemd(tree: Path, name: str) -> Path | None:
    """The module document of a tree that holds no spec, if any."""
    if any((tree / "SPECS").glob("*.spec")):
        return None
    for cand in CANDIDATES:
        path = tree / cand.format(name=name)
        if path.is_file():
            return path
    return None


def stream_of_branch(branch: str | None) -> str | None:
    """EL module branches: `c8-stream-1.14` or `stream-1.14` name stream `1.14`."""
    if not branch:
        return None
    _, sep, stream = branch.partition("stream-")
    return stream if sep else branch


def _modulemd() -> Any:
    import gi

    gi.require_version("Modulemd", "2.0")
    from gi.repository import Modulemd

    return Modulemd


def pin_components(
    path: Path, name: str, stream: str | None, resolve: Callable[[str], str]
) -> tuple[str, str]:
    """Rewrite each rpm component's `ref` to `resolve(component)` (a forge commit) in place.
    Returns the module's (name, stream)."""
    md = _modulemd()
    text = path.read_text()
    try:
        doc = md.read_packager_string(text, name, stream)
    except Exception as e:  # GLib.Error: the document is not modulemd
        raise ValidationFailed(f"{path.name} is not a valid modulemd document: {e}") from None
    for comp_name in doc.get_rpm_component_names():
        doc.get_rpm_component(comp_name).set_ref(resolve(comp_name))
    if isinstance(doc, md.PackagerV3):
        index = doc.convert_to_index()
    else:
        index = md.ModuleIndex.new()
        index.add_module_stream(doc)
    path.write_text(index.dump_to_string())
    return doc.get_module_name() or name, doc.get_stream_name() or stream or "default"
