"""The import service: upstream + declared patches -> a commit and tag in the forge, lookaside
blobs in the object store, and an ImportRevision that pins it all.

    result = run_import(db, store, forge, ProjectRef(id, project_file), "bash", log=print)

Nothing reaches the forge unless every step succeeded: the tree is assembled in a temporary
directory, and the branch and tag are then written in one atomic ref update.

Every URL is fetched under `policy` (olivine.fetch.policy; the worker builds it from its
settings, the default allows no local path and no private address), every evaluation of the
spec runs in the build sandbox, and the diff of upstream vs committed tree is stored for the
API to serve."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from olivine.builds.macros import project_macros
from olivine.db.base import Database
from olivine.domain.nevra import NEVR
from olivine.errors import NotFound, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.forge.interfaces import Forge, repo_name
from olivine.imports import diff, records
from olivine.imports.archive import check_tree
from olivine.imports.lookaside import Blob, Lookaside
from olivine.imports.modules import find_modulemd, pin_components, stream_of_branch
from olivine.imports.patches.apply import Workspace, apply_file
from olivine.imports.patches.repo import PatchSet, load_patches
from olivine.imports.specs import evaluate, find_spec, rpm_defines, spec_facts
from olivine.imports.submit import submit_import, submit_import_batch
from olivine.imports.upstream import UpstreamRequest, UpstreamTree, read_upstream
from olivine.imports.upstream.base import metadata_name
from olivine.projects.schema import ProjectFile
from olivine.storage.interfaces import ObjectStore

Log = Callable[[str], None]
__all__ = ["ImportResult", "ProjectRef", "run_import", "submit_import", "submit_import_batch"]


@dataclass(frozen=True)
class ProjectRef:
    id: int
    file: ProjectFile

    @property
    def name(self) -> str:
        return self.file.name


@dataclass(frozen=True)
class ImportResult:
    status: Literal["imported", "unchanged"]
    project: str
    package: str
    nevr: str
    epoch: int
    version: str
    release: str
    forge_repo: str
    forge_branch: str
    forge_commit: str
    forge_tag: str
    upstream_kind: str
    upstream_url: str
    upstream_branch: str | None
    upstream_ref: str | None
    upstream_commit: str | None
    patch_url: str | None
    patch_commit: str | None
    revision_id: int
    lookaside: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def defines_for(project: ProjectFile, package: str) -> list[tuple[str, str]]:
    """The macros NEVRs are evaluated with: the builders' (dist, vendor, distro, extra)."""
    ms = project_macros(project, package)
    return rpm_defines(ms.defines, ms.with_, ms.without)


def upstream_request(
    project: ProjectFile,
    package: str,
    ref: str | None = None,
    srpm: Path | None = None,
    policy: FetchPolicy | None = None,
) -> UpstreamRequest:
    if project.package(package) is None:
        raise NotFound(f"package {package} is not in the catalog of project {project.name}")
    up = project.upstream_for(package)
    kind = "srpm" if srpm is not None else up.kind
    url = up.url.format(name=package, branch=up.branch or "")
    return UpstreamRequest(
        kind=kind,
        url=url,
        name=package,
        branch=up.branch,
        ref=ref,
        lookaside=up.lookaside,
        srpm=srpm,
        defines=tuple(defines_for(project, package)),
        policy=policy or FetchPolicy(),
    )


def run_import(
    db: Database,
    store: ObjectStore,
    forge: Forge,
    project: ProjectRef,
    package: str,
    *,
    ref: str | None = None,
    srpm: Path | None = None,
    submitter_id: int | None = None,
    task_id: int | None = None,
    log: Log | None = None,
    policy: FetchPolicy | None = None,
) -> ImportResult:
    say: Log = log or (lambda _m: None)
    req = upstream_request(project.file, package, ref, srpm, policy)
    pkg_id = records.package_id(db, package)
    with tempfile.TemporaryDirectory(prefix="olivine-import-") as tmp:
        work = Path(tmp)
        say(
            f"upstream: reading {req.kind} {req.url}"
            + (f" branch {req.branch}" if req.branch else "")
        )
        tree = read_upstream(req, work, store)
        check_tree(tree.root, f"upstream {req.url}")
        say(f"upstream: took {tree.ref or '-'} ({tree.commit})")
        shutil.copytree(tree.root, work / "diff" / "upstream", symlinks=True)
        blobs = _fetch_lookaside(db, store, req, tree, pkg_id, say)
        patches = _apply_patches(store, project.file, package, tree, blobs, work, req, say)
        check_tree(tree.root, "the import tree after the patch directives")
        nevr, facts = _finish_tree(db, project, package, tree, blobs, req, say)
        result = _commit(
            db,
            forge,
            project,
            package,
            pkg_id,
            nevr,
            tree,
            blobs,
            patches,
            submitter_id,
            task_id,
            say,
            facts,
        )
        if not diff.has(db, result.revision_id):
            tree.root.rename(work / "diff" / "imported")
            text, cut = diff.compute(work / "diff" / "upstream", work / "diff" / "imported")
            diff.save(db, result.revision_id, text, cut)
        return result


def _fetch_lookaside(
    db: Database,
    store: ObjectStore,
    req: UpstreamRequest,
    tree: UpstreamTree,
    pkg_id: int,
    say: Log,
) -> dict[str, Blob]:
    la = Lookaside(store, req.lookaside, records.RevisionAliases(db, pkg_id), say, req.policy)
    blobs = {b.path: b for b in tree.blobs}
    for ref in tree.lookaside:
        blob = la.fetch(ref, name=req.name, branch=req.branch)
        blobs[ref.path] = blob
        say(f"lookaside: {ref.path} sha256 {blob.sha256} ({blob.size} bytes)")
    return blobs


def _apply_patches(
    store: ObjectStore,
    project: ProjectFile,
    package: str,
    tree: UpstreamTree,
    blobs: dict[str, Blob],
    work: Path,
    req: UpstreamRequest,
    say: Log,
) -> PatchSet | None:
    if project.patches is None:
        return None
    url = project.patches.url.format(name=package)
    branch = project.patches.branch or project.target.branch
    pset = load_patches(url, branch, work, req.policy)
    if pset is None:
        say(f"patches: no patch repository at {url}")
        return None
    say(f"patches: {pset.count()} directives from {url} ({pset.describe()})")
    stamps = [tree.commit_time or 0] + [la.commit_time for la in pset.layers]
    when = datetime.fromtimestamp(max(stamps), UTC)
    for layer in pset.layers:
        ws = Workspace(
            tree.root, blobs, store, layer.root, package, defines_for(project, package), when, say
        )
        for df in layer.files:
            apply_file(ws, df)
    return pset


def _finish_tree(
    db: Database,
    project: ProjectRef,
    package: str,
    tree: UpstreamTree,
    blobs: dict[str, Blob],
    req: UpstreamRequest,
    say: Log,
) -> tuple[NEVR, dict[str, Any] | None]:
    """Write the lookaside list (sha256, the store's key) and evaluate the NEVR; the spec's
    facts for a build batch's order (none for a module)."""
    lines = [f"{b.sha256} {path}\n" for path, b in sorted(blobs.items())]
    meta = tree.root / metadata_name(package)
    if lines or meta.exists():
        meta.write_text("".join(lines))
    if (tree.root / "sources").is_file() and req.kind == "dist-git-flat":
        (tree.root / "sources").unlink()
    module = find_modulemd(tree.root, package)
    if module is not None:
        return _pin_module(db, project, package, tree, module, say), None
    defines = defines_for(project.file, package)
    info = evaluate(find_spec(tree.root, package), defines)
    nevr = info.nevr
    if nevr.name != package:
        raise ValidationFailed(f"the spec of {package} names package {nevr.name}")
    say(f"nevr: {nevr}")
    return nevr, spec_facts(info, defines)


def _pin_module(
    db: Database, project: ProjectRef, package: str, tree: UpstreamTree, path: Path, say: Log
) -> NEVR:
    branch = project.file.target.branch

    def resolve(component: str) -> str:
        for r in records.history(db, project.id, component, limit=50):
            if r.forge_branch == branch:
                say(f"module: component {component} pinned to {r.forge_commit} ({r.nevr})")
                return r.forge_commit
        raise ValidationFailed(
            f"module {package}: component {component} has not been imported into project "
            f"{project.name} (branch {branch}); import it first"
        )

    name, stream = pin_components(path, package, stream_of_branch(tree.branch), resolve)
    stamp = datetime.fromtimestamp(tree.commit_time or 0, UTC).strftime("%Y%m%d%H%M%S")
    return NEVR(package if name == package else name, 0, stream.replace("-", "_"), stamp)


def _message(
    nevr: NEVR, tree: UpstreamTree, patches: PatchSet | None, blobs: dict[str, Blob]
) -> str:
    lines = [
        f"Import {nevr.nvr} from {tree.kind}",
        "",
        f"Upstream: {tree.url}",
        f"Upstream-Branch: {tree.branch or '-'}",
        f"Upstream-Ref: {tree.ref or '-'}",
        f"Upstream-Commit: {tree.commit or '-'}",
    ]
    if patches is not None:
        lines += [
            f"Patches: {patches.url}",
            f"Patch-Commit: {patches.commit}",
            f"Patch-Layers: {patches.describe()}",
        ]
    lines += [f"Lookaside: {b.sha256} {p}" for p, b in sorted(blobs.items())]
    return "\n".join(lines) + "\n"


def _commit(
    db: Database,
    forge: Forge,
    project: ProjectRef,
    package: str,
    pkg_id: int,
    nevr: NEVR,
    tree: UpstreamTree,
    blobs: dict[str, Blob],
    patches: PatchSet | None,
    submitter_id: int | None,
    task_id: int | None,
    say: Log,
    facts: dict[str, Any] | None = None,
) -> ImportResult:
    branch = project.file.target.branch
    tag = f"imports/{branch}/{nevr.nvr}"
    res = forge.commit_tree(
        project.name, package, branch, tree.root, _message(nevr, tree, patches, blobs), tag=tag
    )
    digests = {r.path: (r.hashtype, r.digest) for r in tree.lookaside if r.hashtype != "sha256"}
    lookaside = [
        {
            "path": p,
            "sha256": b.sha256,
            "size": b.size,
            **({"hashtype": digests[p][0], "digest": digests[p][1]} if p in digests else {}),
        }
        for p, b in sorted(blobs.items())
    ]
    if not res.changed:
        prev = records.by_forge_commit(db, project.id, package, res.commit)
        if prev is not None:
            say(f"forge: unchanged, {branch} is already at {res.commit} ({prev.forge_tag})")
            records.set_spec_facts(db, prev.id, facts)  # one imported before they were kept
            return _result("unchanged", project, package, prev)
        # the forge has this tree but no import recorded it (made outside Olivine): record it
        if forge.tag_info(project.name, package, tag) is None:
            tag = ""
    say(f"forge: {repo_name(project.name, package)} {branch} at {res.commit}, tag {tag}")
    rev_id = records.record(
        db,
        project.id,
        pkg_id,
        nevr,
        task_id=task_id,
        upstream_kind=tree.kind,
        upstream_url=tree.url,
        upstream_branch=tree.branch,
        upstream_ref=tree.ref,
        upstream_commit=tree.commit,
        patch_url=patches.url if patches else None,
        patch_commit=patches.commit if patches else None,
        forge_repo=repo_name(project.name, package),
        forge_branch=branch,
        forge_commit=res.commit,
        forge_tag=tag,
        lookaside=lookaside,
        submitter_id=submitter_id,
        spec_facts=facts,
    )
    view = records.get_revision(db, project.id, package, rev_id)
    return _result("imported" if res.changed else "unchanged", project, package, view)


def _result(
    status: Literal["imported", "unchanged"],
    project: ProjectRef,
    package: str,
    r: records.RevisionView,
) -> ImportResult:
    return ImportResult(
        status=status,
        project=project.name,
        package=package,
        nevr=r.nevr,
        epoch=r.epoch,
        version=r.version,
        release=r.release,
        forge_repo=r.forge_repo,
        forge_branch=r.forge_branch,
        forge_commit=r.forge_commit,
        forge_tag=r.forge_tag,
        upstream_kind=r.upstream_kind,
        upstream_url=r.upstream_url,
        upstream_branch=r.upstream_branch,
        upstream_ref=r.upstream_ref,
        upstream_commit=r.upstream_commit,
        patch_url=r.patch_url,
        patch_commit=r.patch_commit,
        revision_id=r.id,
        lookaside=r.lookaside,
    )
