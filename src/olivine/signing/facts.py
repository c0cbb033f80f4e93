"""What the database records about a build, gathered for its provenance and SBOM.

Only recorded facts: the import revision the build was made from, each arch build's build
root, the RPMs the project holds from the build (ProjectArtifact rows, by sha256), their header
digests read from the object store, and the signed copies the log records for them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    Build,
    BuildRoot,
    ImportRevision,
    LogLeaf,
    Package,
    Project,
    ProjectArtifact,
)
from olivine.errors import Conflict, NotFound
from olivine.signing.leaves import SignedRpmLeaf, parse_leaf
from olivine.signing.provenance import (
    ArchRoot,
    BuildFacts,
    OutputRpm,
    SignedCopy,
    Source,
)
from olivine.signing.rpmheader import header_sha256
from olivine.storage.interfaces import ObjectStore


def _nevra(a: Artifact) -> str:
    evr = f"{a.epoch}:{a.version}-{a.release}" if a.epoch else f"{a.version}-{a.release}"
    return f"{a.name}-{evr}.{a.arch}"


def _signed(s: Session, unsigned: str) -> tuple[SignedCopy, ...]:
    q = select(LogLeaf.data).where(LogLeaf.dedup_key.like(f"signed-rpm:{unsigned}:%"))
    out = []
    for data in s.scalars(q.order_by(LogLeaf.index)):
        leaf = parse_leaf(data)
        assert isinstance(leaf, SignedRpmLeaf)
        out.append(SignedCopy(leaf.key_fingerprint, leaf.signed_sha256))
    return tuple(out)


def _as_built(s: Session, held: Artifact) -> tuple[Artifact, tuple[SignedCopy, ...]]:
    """The file as built (the project holds the signed copy once the publisher signed it) and
    its signed copies: those the log records, and the held one if the log has not got it yet."""
    from olivine.db.models.signing import RpmSignature

    sig = s.scalar(select(RpmSignature).where(RpmSignature.signed_sha256 == held.sha256))
    orig = s.get(Artifact, sig.unsigned_artifact_id) if sig is not None else None
    built = orig or held
    copies = _signed(s, built.sha256)
    if sig is not None and held.sha256 not in {c.sha256 for c in copies}:
        copies += (SignedCopy(sig.fingerprint, held.sha256),)
    return built, copies


def _outputs(s: Session, store: ObjectStore, build_id: int) -> tuple[OutputRpm, ...]:
    q = (
        select(Artifact)
        .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
        .where(ProjectArtifact.build_id == build_id, ProjectArtifact.origin == "build")
        .order_by(Artifact.filename)
    )
    out = []
    for held in s.scalars(q):
        a, copies = _as_built(s, held)
        out.append(
            OutputRpm(a.filename, _nevra(a), a.sha256, header_sha256(store.open(a.sha256)), copies)
        )
    return tuple(out)


def _source(rev: ImportRevision, base_url: str) -> Source:
    return Source(
        rev.upstream_kind,
        rev.upstream_url,
        rev.upstream_ref,
        rev.upstream_commit,
        rev.patch_url,
        rev.patch_commit,
        f"{base_url}/git/{rev.forge_repo}.git",
        rev.forge_commit,
        rev.forge_tag,
        tuple(rev.lookaside or ()),
    )


def _builder_version(roots: tuple[ArchRoot, ...]) -> str | None:
    for root in roots:
        for e in root.entries:
            if e.get("kind") == "host" and e.get("name") == "rpm-build":
                return str(e.get("version"))
    return None


def load_facts(db: Database, store: ObjectStore, build_id: int, base_url: str) -> BuildFacts:
    """The facts of a complete, non-scratch build; anything else is refused by name."""
    with db.session() as s:
        b = s.get(Build, build_id)
        if b is None:
            raise NotFound(f"build {build_id} not found")
        if b.status != "complete" or b.scratch:
            what = "a scratch build" if b.scratch else f"{b.status}, not complete"
            raise Conflict(f"build {build_id} is {what}: only complete builds get provenance")
        rev = s.get_one(ImportRevision, b.import_revision_id)
        project, pkg = s.get_one(Project, b.project_id), s.get_one(Package, b.package_id)
        q = select(BuildRoot).where(BuildRoot.build_id == build_id).order_by(BuildRoot.arch)
        roots = tuple(ArchRoot(r.arch, r.task_id, tuple(r.entries or ())) for r in s.scalars(q))
        evr = f"{b.epoch}:{b.version}-{b.release}" if b.epoch else f"{b.version}-{b.release}"
        return BuildFacts(
            build_id=b.id,
            project=project.name,
            package=pkg.name,
            nevr=f"{pkg.name}-{evr}",
            scratch=b.scratch,
            builder=str((project.spec or {}).get("builder", "rpmbuild")),
            builder_version=_builder_version(roots),
            source=_source(rev, base_url),
            roots=roots,
            outputs=_outputs(s, store, build_id),
            started_at=b.started_at,
            finished_at=b.finished_at,
            base_url=base_url,
        )
