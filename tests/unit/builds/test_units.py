"""Sizes and durations as operators and project files write them."""

from __future__ import annotations

import pytest

from olivine.builds.units import parse_duration, parse_size


def test_sizes_are_binary_like_systemd() -> None:
    assert parse_size("4G") == 4 << 30
    assert parse_size("512M") == 512 << 20
    assert parse_size("1.5GiB") == 3 << 29
    assert parse_size("4096") == 4096
    assert parse_size(10) == 10
    with pytest.raises(ValueError, match="'lots' is not a size"):
        parse_size("lots")


def test_durations() -> None:
    assert parse_duration("2h") == 7200
    assert parse_duration("90m") == 5400
    assert parse_duration("30s") == 30
    assert parse_duration("1d") == 86400
    assert parse_duration(12) == 12.0
    with pytest.raises(ValueError, match="'soon' is not a duration"):
        parse_duration("soon")
