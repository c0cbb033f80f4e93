"""The service container: what API handlers and workflow activities are given to work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from olivine.config import Settings
from olivine.db.base import Database
from olivine.forge.interfaces import Forge
from olivine.storage.interfaces import ObjectStore
from olivine.tasks.service import TaskService


@dataclass
class Services:
    settings: Settings
    db: Database
    _store: ObjectStore | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new one: owner only
        settings.ensure_secret_key()
        return cls(settings, Database(settings.db_url, settings.database_pool_size))

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            from olivine.storage.service import open_store

            self._store = open_store(self.settings)
        return self._store

    @cached_property
    def tasks(self) -> TaskService:
        return TaskService(self.db)

    @cached_property
    def forge(self) -> Forge:
        from olivine.forge.service import open_forge

        return open_forge(self.settings)

    def close(self) -> None:
        self.db.dispose()
