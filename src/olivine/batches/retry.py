"""A retry of a batch of either kind: a new batch, of the same kind, of every item a retry can
change (olivine.batches.rules.retryable: not done, not refused), through that kind's submit().
The API and the web UI both retry through here, so both follow the one rule."""

from __future__ import annotations

from dataclasses import replace

from olivine.auth.policy import Action
from olivine.batches.rules import refused, retryable
from olivine.batches.service import BatchKind, BatchSubmitted, BatchView, retry_packages
from olivine.builds.submit import submit_build_batch
from olivine.db.models import Project
from olivine.errors import ValidationFailed
from olivine.imports.submit import submit_import_batch
from olivine.jobs.context import JobContext
from olivine.jobs.status import TERMINAL

# what a caller must be allowed to do in the project to retry (or start) a batch of each kind
ACTION = {BatchKind.IMPORT: Action.IMPORT, BatchKind.BUILD: Action.BUILD}


def retry_names(view: BatchView) -> list[str]:
    """The packages a retry of `view` runs again; ValidationFailed naming why when none (every
    item done, or what failed was refused), Conflict while the batch still runs."""
    again = [i for i in view.items if retryable(view, i)]
    ended = view.task_status is None or view.task_status in TERMINAL
    if ended and not again and any(refused(i) for i in view.items):
        raise ValidationFailed(
            f"{view.kind} batch {view.id} has nothing a retry can change: what failed was "
            "refused (import a new release to build it again)"
        )
    return retry_packages(replace(view, items=again))


async def retry_batch(ctx: JobContext, project: Project, view: BatchView) -> BatchSubmitted:
    names = retry_names(view)
    if view.kind == BatchKind.IMPORT:
        return await submit_import_batch(ctx, project, names)
    return await submit_build_batch(ctx, project, names)
