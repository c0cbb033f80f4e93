"""A retry of a batch of either kind: a new batch, of the same kind, of every item that did not
end done (olivine.domain.scheduling.to_retry), through that kind's submit()."""

from __future__ import annotations

from olivine.auth.policy import Action
from olivine.batches.service import BatchKind, BatchSubmitted, BatchView, retry_packages
from olivine.builds.submit import submit_build_batch
from olivine.db.models import Project
from olivine.imports.submit import submit_import_batch
from olivine.jobs.context import JobContext

# what a caller must be allowed to do in the project to retry (or start) a batch of each kind
ACTION = {BatchKind.IMPORT: Action.IMPORT, BatchKind.BUILD: Action.BUILD}


async def retry_batch(ctx: JobContext, project: Project, view: BatchView) -> BatchSubmitted:
    names = retry_packages(view)
    if view.kind == BatchKind.IMPORT:
        return await submit_import_batch(ctx, project, names)
    return await submit_build_batch(ctx, project, names)
