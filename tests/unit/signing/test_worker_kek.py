"""A worker without the KEK cannot serve the sign queue: it refuses to start, naming the
setting; a KEK under the data directory or readable by others is refused too."""

from __future__ import annotations

from pathlib import Path

import pytest

from olivine.config import Settings
from olivine.db.base import Database
from olivine.errors import ConfigError
from olivine.services import Services
from olivine.signing.sealing import create_kek
from olivine.workflows.common import SIGN_QUEUE
from olivine.workflows.registry import activities


def _svc(db: Database, tmp_path: Path, **kw: object) -> Services:
    return Services(Settings(data_dir=tmp_path / "data", database_url=db.url, **kw), db)


def test_a_worker_without_the_kek_cannot_sign(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OLIVINE_SIGNING_KEK_FILE"):
        activities(_svc(db, tmp_path), SIGN_QUEUE)


def test_a_kek_in_the_data_directory_or_readable_by_others_is_refused(
    db: Database, tmp_path: Path
) -> None:
    inside = tmp_path / "data" / "kek"
    create_kek(inside)
    with pytest.raises(ConfigError, match="lies under the data directory"):
        activities(_svc(db, tmp_path, signing_kek_file=inside), SIGN_QUEUE)
    loose = tmp_path / "signer" / "kek"
    create_kek(loose)
    loose.chmod(0o644)
    with pytest.raises(ConfigError, match="make it 600"):
        activities(_svc(db, tmp_path, signing_kek_file=loose), SIGN_QUEUE)


def test_the_signing_worker_serves_the_signer_activities(db: Database, tmp_path: Path) -> None:
    kek = tmp_path / "signer" / "kek"
    create_kek(kek)
    names = {a.__name__ for a in activities(_svc(db, tmp_path, signing_kek_file=kek), SIGN_QUEUE)}
    signing = {"sign_rpms", "sign_repomd", "key_request"}
    provenance = {"make", "log_repomd", "log_signed_rpm", "log_revocation"}  # (method names)
    assert names == signing | provenance
