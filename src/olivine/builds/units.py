"""Sizes and durations as operators and project files write them: `4G`, `512M`, `2h`, `90m`.

Sizes are binary, as systemd's MemoryMax= reads them (4G = 4 GiB). A bare number is bytes or
seconds."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_size(value: str | int) -> int:
    """Bytes from `4G`, `512M`, `4096`; ValueError naming the value otherwise."""
    if isinstance(value, int):
        return value
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a size (write 512M, 4G, ...)")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).upper()])


def parse_duration(value: str | int | float) -> float:
    """Seconds from `2h`, `90m`, `30s`, `3600`; ValueError naming the value otherwise."""
    if isinstance(value, int | float):
        return float(value)
    m = _TIME.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a duration (write 90m, 2h, ...)")
    return float(m.group(1)) * _TIME_UNITS[m.group(2).lower()]
