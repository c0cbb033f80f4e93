"""User names for the pages (who submitted what)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import User


def user_names(db: Database, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    with db.session() as s:
        return {i: n for i, n in s.execute(select(User.id, User.name).where(User.id.in_(wanted)))}
