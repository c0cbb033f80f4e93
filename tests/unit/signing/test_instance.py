from __future__ import annotations

from sqlalchemy import delete

from olivine.db.base import Database
from olivine.db.models.tlog import InstanceKey
from olivine.signing.instance import loader, public_instance_key
from olivine.signing.sealing import Kek


def test_the_signer_keeps_its_key_while_the_database_publishes_it(db: Database) -> None:
    get = loader(db, lambda: Kek(b"k" * 32), "olivine.test/log")
    first = get()
    assert get() is first  # kept, not opened again
    assert public_instance_key(db).keyid == first.public.keyid

    with db.session() as s:  # the row replaced (a database emptied or restored)
        s.execute(delete(InstanceKey))
    again = get()
    assert again.public.keyid != first.public.keyid
    assert public_instance_key(db).keyid == again.public.keyid  # signs with what is published
