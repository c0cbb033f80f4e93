"""The security suite runs against the same real stack as the integration tests (Temporal dev
server, a worker, the app served by uvicorn on a loopback port)."""

from tests.integration.conftest import (  # noqa: F401  (fixtures)
    live_url,
    stack,
    stack_settings,
    temporal_address,
    worker,
)
