"""Shared fixtures. The database under test is chosen by OLIVINE_TEST_DB (sqlite | postgresql);
CI runs the unit and integration suites once on each. The schema is made by running the Alembic
migrations, never by create_all."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from olivine.db import models  # noqa: F401
from olivine.db.base import Base, Database
from olivine.db.migrate import upgrade
from olivine.storage.fs import FsStore

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"
PG_ADMIN_URL = os.environ.get("OLIVINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_report_header() -> str:
    return f"olivine test database: {os.environ.get('OLIVINE_TEST_DB', 'sqlite')}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    kind = os.environ.get("OLIVINE_TEST_DB", "sqlite")
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'olivine.db'}"
        upgrade(url)
        yield url
        return
    name = f"olivine_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def db(_database: Database) -> Iterator[Database]:
    """A migrated, empty database (rows are removed after each test)."""
    yield _database
    with _database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def fs_store(tmp_path: Path) -> FsStore:
    return FsStore(tmp_path / "objects", "http://127.0.0.1:8080", b"k" * 32)
