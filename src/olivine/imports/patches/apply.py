"""Apply directive files to an import tree, in srpmproc's fixed order per file: replace, delete,
add, patch (git apply), lookaside, spec changes. Any directive that does not apply raises a
DirectiveError naming it, its file and line; the caller then pushes nothing."""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from olivine.forge.gitcli import git_env
from olivine.imports.archive import check_tree, reproducible_tar_gz
from olivine.imports.errors import DirectiveError
from olivine.imports.lookaside import Blob
from olivine.imports.patches import model as m
from olivine.imports.sandboxed.runner import run_step
from olivine.imports.specs import find_spec
from olivine.storage.interfaces import ObjectStore


@dataclass
class Workspace:
    tree: Path  # the import tree (SPECS/, SOURCES/, ...)
    blobs: dict[str, Blob]  # lookaside entries by tree path
    store: ObjectStore
    patch_root: Path  # the patch repository's files
    name: str
    defines: Sequence[tuple[str, str]] = ()
    when: datetime = field(default_factory=datetime.now)  # changelog entry date
    log: Callable[[str], None] = lambda _m: None


def tree_path(kind: str, origin: m.Origin, path: str) -> str:
    """srpmproc's rule: a path not under SOURCES/ or SPECS/ means SOURCES/<path>."""
    p = path.strip().removeprefix("./")
    norm = posixpath.normpath(p)
    if p.startswith("/") or norm.startswith("..") or not p:
        raise DirectiveError(kind, str(origin), f"{path!r} is not a path inside the tree")
    return norm if norm.startswith(("SOURCES/", "SPECS/")) else f"SOURCES/{norm}"


def _patch_file(ws: Workspace, kind: str, origin: m.Origin, path: str) -> Path:
    norm = posixpath.normpath(path)
    full = ws.patch_root / norm
    if norm.startswith("..") or path.startswith("/") or not full.is_file():
        raise DirectiveError(kind, str(origin), f"{path} does not exist in the patch repository")
    return full


def _blob(ws: Workspace, kind: str, origin: m.Origin, sha256: str, dest: str) -> Blob:
    if len(sha256) != 64 or not ws.store.exists(sha256):
        raise DirectiveError(kind, str(origin), f"lookaside object {sha256} is not in the store")
    return Blob(dest, sha256, ws.store.stat(sha256).size)


def apply_file(ws: Workspace, df: m.DirectiveFile) -> None:
    ws.log(f"patches: applying {df.path} ({df.count()} directives)")
    for r in df.replace:
        _replace(ws, r)
    for d in df.delete:
        _delete(ws, d)
    for a in df.add:
        _add(ws, a)
    for p in df.patch:
        _git_apply(ws, p)
    for la in df.lookaside:
        _lookaside(ws, la)
    if df.has_spec_changes():
        first = (df.spec_file + df.search_and_replace + df.append + df.new_field + df.changelog)[0]
        try:
            spec = find_spec(ws.tree, ws.name)
        except Exception as e:
            raise DirectiveError("spec_change", str(first.origin), str(e)) from None
        _spec_changes(ws, spec, df)


def _spec_changes(ws: Workspace, spec: Path, df: m.DirectiveFile) -> None:
    """Made by specfile in the sandbox (it parses the spec with rpm); the edited spec is read
    back as a plain file."""
    if spec.is_symlink():
        raise DirectiveError("spec_change", df.path, f"SPECS/{spec.name} is a symbolic link")
    copies = {"SPECS": spec.parent}
    if (ws.tree / "SOURCES").is_dir():
        copies["SOURCES"] = ws.tree / "SOURCES"
    req = {"spec": f"SPECS/{spec.name}", "df": df, "defines": list(ws.defines), "when": ws.when}
    ans, out = run_step(
        "spec_edit", req, copies, what=f"spec changes of {df.path}", outputs=("out.spec",)
    )
    if "directive" in ans:
        raise DirectiveError(str(ans["directive"]), str(ans["origin"]), str(ans["problem"]))
    if not ans.get("ok") or "out.spec" not in out:
        raise DirectiveError("spec_change", df.path, "the sandbox returned no edited spec")
    fd = os.open(spec, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as f:
        f.write(out["out.spec"])


def _replace(ws: Workspace, r: m.Replace) -> None:
    dest = tree_path("replace", r.origin, r.file)
    if not (ws.tree / dest).is_file() and dest not in ws.blobs:
        raise DirectiveError("replace", str(r.origin), f"{dest} does not exist in the tree")
    if r.with_lookaside:
        ws.blobs[dest] = _blob(ws, "replace", r.origin, r.with_lookaside, dest)
        (ws.tree / dest).unlink(missing_ok=True)
        return
    ws.blobs.pop(dest, None)
    (ws.tree / dest).parent.mkdir(parents=True, exist_ok=True)
    if r.with_file:
        shutil.copyfile(_patch_file(ws, "replace", r.origin, r.with_file), ws.tree / dest)
    else:
        (ws.tree / dest).write_text(r.with_inline or "")


def _delete(ws: Workspace, d: m.Delete) -> None:
    dest = tree_path("delete", d.origin, d.file)
    if (ws.tree / dest).is_file():
        (ws.tree / dest).unlink()
    elif ws.blobs.pop(dest, None) is None:
        raise DirectiveError("delete", str(d.origin), f"{dest} does not exist in the tree")


def _add(ws: Workspace, a: m.Add) -> None:
    source = a.file or a.lookaside or ""
    dest = tree_path("add", a.origin, a.name or posixpath.basename(source))
    if a.lookaside:
        ws.blobs[dest] = _blob(ws, "add", a.origin, a.lookaside, dest)
        return
    src = _patch_file(ws, "add", a.origin, source)
    (ws.tree / dest).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, ws.tree / dest)


def _git_apply(ws: Workspace, p: m.Patch) -> None:
    diff = _patch_file(ws, "patch", p.origin, p.file)
    passes = [["git", "apply", "--whitespace=nowarn", str(diff)]]
    if not p.strict:
        # srpmproc puts SOURCES/ in front of paths that are under neither SOURCES/ nor SPECS/
        passes = [
            [
                "git",
                "apply",
                "--whitespace=nowarn",
                "--include=SPECS/*",
                "--include=SOURCES/*",
                str(diff),
            ],
            [
                "git",
                "apply",
                "--whitespace=nowarn",
                "--directory=SOURCES",
                "--exclude=SOURCES/SPECS/*",
                "--exclude=SOURCES/SOURCES/*",
                str(diff),
            ],
        ]
    # the tree is no repository: keep git from finding one above it
    env = git_env({"GIT_CEILING_DIRECTORIES": str(ws.tree.parent)})
    for cmd in passes:
        check = subprocess.run(
            [*cmd[:2], "--check", *cmd[2:]],
            cwd=ws.tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            msg = "; ".join(ln for ln in check.stderr.splitlines() if ln.startswith("error"))
            raise DirectiveError("patch", str(p.origin), f"{p.file} does not apply: {msg}")
    for cmd in passes:
        subprocess.run(cmd, cwd=ws.tree, capture_output=True, check=True, env=env)
    # a patch can create symlinks: none may lead out before a later directive writes
    check_tree(ws.tree, f"the import tree after {p.file}")


def _lookaside(ws: Workspace, la: m.Lookaside) -> None:
    root = ws.patch_root if la.from_patch_tree else ws.tree
    paths = []
    for f in la.files:
        rel = posixpath.normpath(f) if la.from_patch_tree else tree_path("lookaside", la.origin, f)
        if rel.startswith("..") or not (root / rel).is_file():
            where = "patch repository" if la.from_patch_tree else "tree"
            raise DirectiveError("lookaside", str(la.origin), f"{f} does not exist in the {where}")
        paths.append(rel)
    if la.tar:
        buf = io.BytesIO()
        reproducible_tar_gz(root, paths, "", buf)
        buf.seek(0)
        put = ws.store.put_stream(buf)
        dest = tree_path("lookaside", la.origin, la.archive_name or "")
        ws.blobs[dest] = Blob(dest, put.sha256, put.size)
    else:
        for rel in paths:
            put = ws.store.put_file(root / rel)
            dest = (
                rel
                if not la.from_patch_tree
                else tree_path("lookaside", la.origin, posixpath.basename(rel))
            )
            ws.blobs[dest] = Blob(dest, put.sha256, put.size)
    if not la.from_patch_tree:
        for rel in paths:
            (ws.tree / rel).unlink()
