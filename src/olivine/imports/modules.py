"""Module sources: a modulemd document (SOURCES/modulemd.src.txt, or <name>.yaml) whose rpm
components are pinned on import to the forge commit of each component, so a module build later
builds exactly what was imported. Read and written by libmodulemd (through gi), in the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from olivine.errors import ValidationFailed
from olivine.imports.sandboxed.runner import run_step

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


def pin_components(
    path: Path, name: str, stream: str | None, resolve: Callable[[str], str]
) -> tuple[str, str]:
    """Rewrite each rpm component's `ref` to `resolve(component)` (a forge commit) in place.
    Returns the module's (name, stream). libmodulemd reads and writes the document in the
    sandbox (upstream content is never parsed in the worker): once to list the components,
    once to write their refs."""
    req = {"doc": path.name, "name": name, "stream": stream}
    what = f"modulemd {path.name}"
    ans, _ = run_step("module_read", req, {path.name: path}, what=what)
    if "error" in ans:
        raise ValidationFailed(str(ans["error"]))
    refs = {str(c): resolve(str(c)) for c in ans.get("components", [])}
    ans, out = run_step(
        "module_pin", {**req, "refs": refs}, {path.name: path}, what=what, outputs=("out.yaml",)
    )
    if "error" in ans or "out.yaml" not in out:
        raise ValidationFailed(str(ans.get("error") or f"{what}: no document came back"))
    path.write_bytes(out["out.yaml"])
    got = str(ans.get("name") or name), str(ans.get("stream") or stream or "default")
    if any(len(v) > 255 for v in got):
        raise ValidationFailed(f"{what}: module name or stream over 255 characters")
    return got
