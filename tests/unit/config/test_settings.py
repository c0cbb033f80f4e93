from __future__ import annotations

from pathlib import Path

import pytest

from olivine.config import load_settings
from olivine.errors import ConfigError


def test_defaults_and_derived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLIVINE_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.db_url == f"sqlite:///{tmp_path / 'olivine.db'}"
    assert s.base_url == "http://127.0.0.1:8080" and s.storage == "fs"
    with pytest.raises(ConfigError, match="secret-key does not exist"):
        s.secret_key()  # reading settings writes nothing: start-up makes the key
    assert not (tmp_path / "secret-key").exists()
    s.ensure_secret_key()
    key = s.secret_key()
    s.ensure_secret_key()  # a second start keeps it
    assert len(key) == 32 and s.secret_key() == key
    assert (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("OLIVINE_PORT", "eighty", "OLIVINE_PORT"),
        ("OLIVINE_PORT", "70000", "OLIVINE_PORT"),
        ("OLIVINE_STORAGE", "ftp", "OLIVINE_STORAGE"),
        ("OLIVINE_DATABASE_URL", "mysql://x", "sqlite:// or postgresql://"),
        ("OLIVINE_STORAGE", "s3", "OLIVINE_S3_BUCKET"),
        ("OLIVINE_COLOUR", "blue", "OLIVINE_COLOUR"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=needle):
        load_settings()


def test_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "olivine.toml"
    f.write_text('[olivine]\nport = 9000\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("OLIVINE_CONFIG", str(f))
    monkeypatch.setenv("OLIVINE_HOST", "127.0.0.2")
    s = load_settings()
    assert s.port == 9000 and s.host == "127.0.0.2"  # environment wins over the file
    f.write_text("port = [")
    with pytest.raises(ConfigError, match=r"olivine\.toml"):
        load_settings()
    monkeypatch.setenv("OLIVINE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_the_build_time_cap_stays_below_the_build_activities_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage may run as long as the operator allows and end on the sandbox's own time limit:
    Temporal's timeout of a build activity lies above the longest cap the settings accept."""
    from datetime import timedelta

    from olivine.config import BUILD_TIME_CEILING
    from olivine.workflows.builds import BUILD_TIMEOUT

    monkeypatch.setenv("OLIVINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OLIVINE_BUILD_TIME_MAX", "7d")
    assert load_settings().build_time_max == BUILD_TIME_CEILING
    assert timedelta(seconds=BUILD_TIME_CEILING, minutes=30) <= BUILD_TIMEOUT
    monkeypatch.setenv("OLIVINE_BUILD_TIME_MAX", "8d")
    with pytest.raises(ConfigError, match="OLIVINE_BUILD_TIME_MAX"):
        load_settings()


def test_a_data_directory_made_by_a_standalone_worker_is_owner_only(tmp_path: Path) -> None:
    """`olivine worker` on a new data directory (no `olivine up` made it) makes it 0700, and
    its secret key 0600."""
    from olivine.config import Settings
    from olivine.services import Services

    data = tmp_path / "new" / "olivine"
    Services.from_settings(Settings(data_dir=data))
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "secret-key").stat().st_mode & 0o777 == 0o600
