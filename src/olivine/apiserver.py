"""The API server as a process of its own: what a root `olivine up` runs as the `olivine-api`
uid (olivine.signing.runtime.prepare_api), its settings from the OLIVINE_* environment the
supervisor passes."""

from __future__ import annotations

import logging

import uvicorn

from olivine.app import create_app
from olivine.config import load_settings


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
