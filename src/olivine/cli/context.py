"""Where the CLI finds its server and token (DESIGN.md order): --url/--token, OLIVINE_URL/
OLIVINE_TOKEN, the file `olivine login` writes, then the local `olivine up` instance."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "olivine" / "config.toml"


@dataclass
class CliContext:
    url: str | None = None
    token: str | None = None
    json: bool = False
    data_dir: str | None = None

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir or os.environ.get("OLIVINE_DATA_DIR")

    def resolve(self) -> tuple[str, str | None]:
        url, token, _ = self.resolve_with_source()
        return url, token

    def resolve_with_source(self) -> tuple[str, str | None, str]:
        """The server URL, the token, and where the URL came from (for error messages)."""
        url, token, source = self.url, self.token, "--url"
        if not url and os.environ.get("OLIVINE_URL"):
            url, source = os.environ["OLIVINE_URL"], "OLIVINE_URL"
        token = token or os.environ.get("OLIVINE_TOKEN")
        if not url or not token:
            saved = _saved_login()
            if saved and (not url or url == saved.get("url")):
                if not url:
                    url, source = saved.get("url"), f"the login saved in {config_path()}"
                token = token or saved.get("token")
        if not url or not token:
            data_dir = self.data_dir or ".olivine"
            local = _local_instance(data_dir)
            if local and (not url or url == local[0]):
                if not url:
                    url, source = local[0], f"the `olivine up` instance in {data_dir}"
                token = token or local[1]
        if not url:
            url, source = (
                "http://127.0.0.1:8080",
                (
                    "the default (no --url, OLIVINE_URL, saved login or running `olivine up` "
                    f"in {self.data_dir or '.olivine'})"
                ),
            )
        return url.rstrip("/"), token, source


def _saved_login() -> dict[str, str] | None:
    path = config_path()
    if not path.exists():
        return None
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {k: str(v) for k, v in data.items()}


def _local_instance(data_dir: str) -> tuple[str, str | None] | None:
    d = Path(data_dir)
    info = d / "instance.json"
    if not info.exists():
        return None
    url = json.loads(info.read_text())["url"]
    token_file = d / "admin-token"
    token = token_file.read_text().strip() if token_file.exists() else None
    return url, token


def save_login(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'url = "{url}"\ntoken = "{token}"\n')
    return path
