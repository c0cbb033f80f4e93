"""`olivine up` (everything on one machine) and `olivine worker` (one more worker process)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import typer

from olivine.cli.state import current
from olivine.config import Settings, load_settings


def up(
    host: str = typer.Option(None, "--host", help="address to serve on (default 127.0.0.1)"),
    port: int = typer.Option(None, "--port", help="port to serve on (default 8080)"),
    data_dir: str = typer.Option(
        None, "--data-dir", help="the data directory (default OLIVINE_DATA_DIR or ./.olivine)"
    ),
    demo: bool = typer.Option(
        False, "--demo", help="make, import, build and publish a demo project"
    ),
) -> None:
    """Run everything: database migrations, Temporal dev server, workers, API and UI.

    The data directory is --data-dir, or OLIVINE_DATA_DIR, or ./.olivine."""
    from olivine.supervisor import run_up

    overrides: dict[str, object] = {}
    if data := current().data_dir:  # --data-dir (a global option) or OLIVINE_DATA_DIR
        overrides["data_dir"] = Path(data)
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = load_settings(**overrides)
    _logging(settings)
    raise typer.Exit(run_up(settings, demo=demo))


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    # One line per HTTP request from the demo's and the workers' clients buries what matters.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))


def _local_temporal(settings: Settings) -> str | None:
    info = settings.data_dir / "instance.json"
    if not info.exists():
        return None
    address = json.loads(info.read_text()).get("temporal")
    return str(address) if address else None


def worker(
    arch: str = typer.Option(None, "--arch", help="build arch this worker serves (default: host)"),
    queue: list[str] = typer.Option(None, "--queue", help="task queue(s); default: all for --arch"),
    data_dir: str = typer.Option(
        None, "--data-dir", help="the data directory (default OLIVINE_DATA_DIR or ./.olivine)"
    ),
) -> None:
    """Start a worker against the same database, store and Temporal as the API."""
    from olivine.worker import default_queues, run_worker

    data = current().data_dir
    overrides: dict[str, object] = {"data_dir": Path(data)} if data else {}
    settings = load_settings(**overrides)
    if not settings.temporal_address:  # next to a local `olivine up`: its dev server
        settings = settings.model_copy(update={"temporal_address": _local_temporal(settings)})
    _logging(settings)
    asyncio.run(run_worker(settings, list(queue) if queue else default_queues(arch)))
