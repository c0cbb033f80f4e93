"""The worker's activity slots: `max_concurrent` bounds the build queues, and the
orchestration and repo queues keep their own, so finishing builds never wait behind builds."""

from olivine.worker import ORCHESTRATION_CONCURRENCY, queue_concurrency
from olivine.workflows.common import QUEUE, REPO_QUEUE, build_queue


def test_build_queues_take_max_concurrent() -> None:
    assert queue_concurrency(build_queue("x86_64"), 4) == 4
    assert queue_concurrency(build_queue("noarch"), 2) == 2


def test_orchestration_and_repo_queues_have_their_own_larger_limit() -> None:
    assert queue_concurrency(QUEUE, 4) == ORCHESTRATION_CONCURRENCY
    assert queue_concurrency(REPO_QUEUE, 4) == ORCHESTRATION_CONCURRENCY
    assert queue_concurrency(QUEUE, 100) == 100  # never fewer than the build queues
