"""Settings: one typed object read from `OLIVINE_*` environment variables and an optional file.

Precedence (highest first): keyword arguments, environment, the config file named by
`OLIVINE_CONFIG` (TOML), defaults. Nothing here holds a secret by default: the signing secret for
object links is generated once per data directory, at start-up (`ensure_secret_key`), and kept
there (mode 0600).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from olivine.builds.units import parse_duration, parse_size
from olivine.errors import ConfigError


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the TOML file named by OLIVINE_CONFIG; its keys are the field names."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("OLIVINE_CONFIG")
        if not path:
            return {}
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError as e:
            raise ConfigError(f"OLIVINE_CONFIG names {path}, which does not exist") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path}: {e}") from e
        return data.get("olivine", data)


# The longest build stage an operator may allow (OLIVINE_BUILD_TIME_MAX): the build activities'
# Temporal timeout sits above it (olivine.workflows.builds.BUILD_TIMEOUT), so that the sandbox's
# own time limit ends a long build with its reason, not Temporal's timeout and a retry.
BUILD_TIME_CEILING = 7 * 24 * 3600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OLIVINE_", extra="forbid")

    data_dir: Path = Path(".olivine")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = None  # how clients reach the API; default http://host:port

    database_url: str | None = None  # default: sqlite in the data directory
    database_pool_size: int = Field(5, ge=1)

    temporal_address: str | None = None  # unset: `olivine up` starts the dev server
    # unset: `olivine up` picks the dev server's port per data directory (7233 when free)
    temporal_port: int | None = Field(None, ge=1, le=65535)
    temporal_namespace: str = "default"

    storage: Literal["fs", "s3"] = "fs"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_presign_seconds: int = Field(3600, ge=60)

    forge_url: str | None = None  # unset: bare repositories under <data_dir>/forge

    worker_arches: list[str] = Field(default_factory=lambda: ["x86_64"])
    build_worker_wait: int = Field(900, ge=1)  # seconds an arch build waits for its worker
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # The fetch policy (olivine.fetch.policy): local paths upstreams may be read from
    # (colon-separated; never the data directory), networks allowed besides public addresses
    # (addresses or CIDRs, comma- or space-separated), and the caps of one download / clone.
    fetch_file_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    fetch_allow_nets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fetch_max_bytes: int = Field(10 * 1024**3, ge=1)
    fetch_timeout: float = Field(3600.0, gt=0)
    fetch_git_max_bytes: int = Field(4 * 1024**3, ge=1)
    fetch_git_timeout: float = Field(1800.0, gt=0)
    # what one API request may send (docs/api.md "Limits"): JSON, YAML and form bodies; uploads
    # (SRPMs, `rpm import`), which are streamed to disk after authentication
    api_body_max_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    api_upload_max_bytes: int = Field(2 * 1024**3, ge=1024)
    # Builds (docs/settings.md "Builds"): where build directories live, how many build users,
    # and the caps every project's `limits:` is held to. Sizes like 4G, durations like 2h.
    build_workspace: Path | None = None  # default: <tmp>/olivine-builds-<instance>
    build_slots: int = Field(16, ge=1, le=1000)
    build_time_max: Annotated[
        float, BeforeValidator(parse_duration), Field(gt=0, le=BUILD_TIME_CEILING)
    ] = 24 * 3600.0
    build_time_default: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)] = 14400.0
    build_concurrent_max: int = Field(8, ge=1)
    build_memory_max: Annotated[int, BeforeValidator(parse_size), Field(ge=64 << 20)] = 16 << 30
    build_memory_default: Annotated[int, BeforeValidator(parse_size), Field(ge=64 << 20)] = 4 << 30
    build_pids_max: int = Field(16384, ge=32)
    build_pids_default: int = Field(4096, ge=32)
    build_cpus: float | None = Field(None, gt=0)  # CPU quota per build, in CPUs
    build_disk_max: Annotated[int, BeforeValidator(parse_size), Field(ge=64 << 20)] = 20 << 30
    build_inodes: int = Field(1_000_000, ge=1024)
    build_tmp_size: Annotated[int, BeforeValidator(parse_size), Field(ge=16 << 20)] = 2 << 30
    # the signing worker's own: the file holding its key-encryption key (never the key itself;
    # outside the data directory, owned by the signer's uid, mode 0600), and where it makes the
    # per-job GNUPGHOMEs (a 0700 directory of its uid; default /tmp/olivine-signer-<uid>)
    signing_kek_file: Path | None = None
    signing_runtime_dir: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return v

    @field_validator("fetch_file_roots", mode="before")
    @classmethod
    def _split_roots(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [p for p in v.split(":") if p.strip()]
        return v

    @field_validator("fetch_file_roots")
    @classmethod
    def _absolute_roots(cls, v: list[Path]) -> list[Path]:
        for p in v:
            if not p.is_absolute():
                raise ValueError(f"{p} is not an absolute path")
        return v

    @field_validator("fetch_allow_nets", mode="before")
    @classmethod
    def _split_nets(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [n for n in v.replace(",", " ").split() if n]
        return v

    @field_validator("fetch_allow_nets")
    @classmethod
    def _check_nets(cls, v: list[str]) -> list[str]:
        import ipaddress

        for n in v:
            try:
                ipaddress.ip_network(n, strict=False)
            except ValueError:
                raise ValueError(f"{n!r} is not an address or CIDR") from None
        return v

    @model_validator(mode="after")
    def _check_s3(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("OLIVINE_STORAGE=s3 needs OLIVINE_S3_BUCKET")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'olivine.db').resolve()}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port or 7233}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def forge_dir(self) -> Path:
        return self.data_dir / "forge"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret-key"

    def ensure_secret_key(self) -> None:
        """Make the per-data-directory key that signs expiring object links and web sessions,
        if there is none (mode 0600). Called once at start-up by the wiring (Services.from_settings,
        create_app); reading settings never writes anything."""
        path = self.secret_key_path
        if path.exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the same data directory made it first
            return
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))

    def secret_key(self) -> bytes:
        """The key ensure_secret_key() made; a clear error if start-up did not make it."""
        try:
            return bytes.fromhex(self.secret_key_path.read_text().strip())
        except FileNotFoundError:
            raise ConfigError(
                f"{self.secret_key_path} does not exist: the server makes it at start-up "
                "(Settings.ensure_secret_key)"
            ) from None


# OLIVINE_* variables that are not settings of the server: the CLI's and the test suite's.
NOT_SETTINGS = {"OLIVINE_CONFIG", "OLIVINE_URL", "OLIVINE_TOKEN"}


def _check_unknown_variables() -> None:
    known = {f"OLIVINE_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS
    unknown = sorted(
        k
        for k in os.environ
        if k.startswith("OLIVINE_") and k not in known and not k.startswith("OLIVINE_TEST_")
    )
    if unknown:
        raise ConfigError(f"unknown setting {', '.join(unknown)} (a typo?); see docs/settings.md")


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings; a bad value is a ConfigError naming the variable."""
    _check_unknown_variables()
    try:
        return Settings(**overrides)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = "OLIVINE_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else ""
            problems.append(f"{name}: {err['msg']}" if name else err["msg"])
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
