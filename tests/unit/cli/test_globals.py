from __future__ import annotations

import json
from pathlib import Path

import pytest

from olivine.cli.context import CliContext, save_login
from olivine.cli.state import extract_globals


def test_global_options_anywhere() -> None:
    argv, found = extract_globals(["project", "list", "--json", "--url", "http://x:1", "--token=t"])
    assert argv == ["project", "list"]
    assert found.json and found.url == "http://x:1" and found.token == "t"


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("OLIVINE_URL", raising=False)
    monkeypatch.delenv("OLIVINE_TOKEN", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "instance.json").write_text(json.dumps({"url": "http://127.0.0.1:8081"}))
    (data / "admin-token").write_text("local-token\n")
    ctx = CliContext(data_dir=str(data))
    assert ctx.resolve() == ("http://127.0.0.1:8081", "local-token")
    save_login("http://saved:8080", "saved-token")
    assert ctx.resolve() == ("http://saved:8080", "saved-token")
    monkeypatch.setenv("OLIVINE_URL", "http://env:1")
    monkeypatch.setenv("OLIVINE_TOKEN", "env-token")
    assert ctx.resolve() == ("http://env:1", "env-token")
    assert CliContext(url="http://flag:2", token="flag", data_dir=str(data)).resolve() == (
        "http://flag:2",
        "flag",
    )
