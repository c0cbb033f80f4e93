from olivine.db.base import Database
from olivine.db.models import User


def test_migrated_schema_accepts_rows(db: Database) -> None:
    with db.session() as s:
        s.add(User(name="alice"))
    with db.session() as s:
        assert s.query(User).one().name == "alice"
