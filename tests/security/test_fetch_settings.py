"""The fetch policy's settings: OLIVINE_FETCH_FILE_ROOTS (colon-separated absolute paths) and
OLIVINE_FETCH_ALLOW_NETS (addresses or CIDRs), validated at start; the data directory is always
refused."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from olivine.config import load_settings
from olivine.errors import ConfigError
from olivine.fetch.policy import FetchPolicy, FetchRefused


def test_settings_parse_and_feed_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLIVINE_FETCH_FILE_ROOTS", f"{tmp_path}:/srv/upstreams")
    monkeypatch.setenv("OLIVINE_FETCH_ALLOW_NETS", "127.0.0.1, 10.20.0.0/16 fd00::/8")
    s = load_settings(data_dir=tmp_path / "data")
    assert s.fetch_file_roots == [tmp_path, Path("/srv/upstreams")]
    p = FetchPolicy.from_settings(s)
    assert ipaddress.ip_network("10.20.0.0/16") in p.allow_nets
    assert p.check_url("http://10.20.3.4/x", "u").address == "10.20.3.4"
    with pytest.raises(FetchRefused, match="data directory"):
        p.file_url((tmp_path / "data" / "olivine.db").as_uri(), "lookaside")


@pytest.mark.parametrize(
    "var,value,problem",
    [
        ("OLIVINE_FETCH_FILE_ROOTS", "relative/path", "not an absolute path"),
        ("OLIVINE_FETCH_ALLOW_NETS", "10.0.0.0/33", "not an address or CIDR"),
        ("OLIVINE_FETCH_MAX_BYTES", "0", "OLIVINE_FETCH_MAX_BYTES"),
    ],
)
def test_bad_values_stop_the_start(
    var: str, value: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=problem):
        load_settings()
