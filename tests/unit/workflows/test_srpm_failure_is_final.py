"""When the SRPM activity's failure is its last word (the build row must then end failed):
a domain error that is not retryable, or any error on the last attempt of its retry policy,
never a cancel (the workflow records that)."""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError
from temporalio.testing import ActivityEnvironment

from olivine.errors import UpstreamError, ValidationFailed
from olivine.workflows.build_activities import _final


def _in_attempt(attempt: int, most: int, e: Exception) -> bool:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=attempt, retry_policy=RetryPolicy(maximum_attempts=most)
    )
    return bool(env.run(_final, e))


@pytest.mark.parametrize(
    ("attempt", "error", "final"),
    [
        (1, ValidationFailed("expected one spec in SPECS/"), True),
        (1, UpstreamError("the lookaside did not answer"), False),  # retried
        (4, UpstreamError("the lookaside did not answer"), True),  # its last attempt
        (1, OSError("disk full"), False),
        (4, OSError("disk full"), True),
        (4, CancelledError("canceled"), False),
    ],
)
def test_final(attempt: int, error: Exception, final: bool) -> None:
    assert _in_attempt(attempt, 4, error) is final
