"""Make domain errors final for Temporal.

Temporal's retry policy matches non-retryable errors by exact class name, so every subclass of
OlivineError would have to be listed by hand. Instead, one interceptor on every worker turns an
OlivineError whose `retryable` is False into a non-retryable ApplicationError that keeps the
class name and the user's message; infrastructure errors keep being retried.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from olivine.errors import OlivineError


class _FinalDomainErrors(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except OlivineError as e:
            raise ApplicationError(
                e.message, type=type(e).__name__, non_retryable=not e.retryable
            ) from e


class DomainErrorInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FinalDomainErrors(next)
