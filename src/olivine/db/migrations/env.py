"""Alembic environment: the URL comes from the caller (olivine.db.migrate) or OLIVINE settings."""

from __future__ import annotations

from alembic import context

from olivine.db import models  # noqa: F401  (registers every table on Base.metadata)
from olivine.db.base import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from olivine.config import load_settings

        url = load_settings().db_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode for ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
