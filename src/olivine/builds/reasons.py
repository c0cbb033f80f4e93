"""One-line reasons for a failed build, read from the rpmbuild log."""

from __future__ import annotations

import re
from collections.abc import Sequence

_BAD_EXIT = re.compile(r"Bad exit status from \S+ \((%\w+)\)")
_SECTION = re.compile(r"^Executing\((%\w+)\)")
_ERRORISH = re.compile(
    r"(\berror\b|Error \d|No such file|command not found|undefined reference|fatal:|"
    r"cannot find|not found)",
    re.IGNORECASE,
)
_RPM_ERROR = re.compile(r"^error: (.*)")
_MISSING_DEPS = re.compile(r"^\s+(\S+.*?) is needed by ")


def failure_reason(
    lines: Sequence[str],
    returncode: int | None,
    *,
    timed_out: bool = False,
    cancelled: bool = False,
    log_truncated: bool = False,
    time_limit: float | None = None,
    first_line: int = 1,
) -> str | None:
    """None when the build succeeded; else one line saying why it failed. `lines` may be the
    tail of a longer log, `first_line` the line number of its first line."""
    if cancelled:
        return "cancelled"
    if timed_out:
        limit = f" of {int(time_limit)} s" if time_limit else ""
        return f"timeout: the build ran over its time limit{limit}"
    if log_truncated:
        return "log size limit exceeded: the build was stopped"
    if returncode == 0:
        return None
    missing = [m.group(1) for line in lines if (m := _MISSING_DEPS.match(line))]
    if missing:
        return "missing BuildRequires " + ", ".join(missing)
    for i in range(len(lines) - 1, -1, -1):
        m = _BAD_EXIT.search(lines[i])
        if m and not lines[i].lstrip().startswith("Bad exit"):
            return _section_failure(lines, i, m.group(1), first_line)
    for line in lines:
        m = _RPM_ERROR.match(line)
        if m:
            return f"rpmbuild failed: {m.group(1).strip()}"[:300]
    return f"rpmbuild exited with status {returncode}"


def _section_failure(lines: Sequence[str], bad_exit: int, section: str, first: int = 1) -> str:
    start = 0
    for i in range(bad_exit, -1, -1):
        if _SECTION.match(lines[i]):
            start = i
            break
    culprit = None
    for i in range(start + 1, bad_exit):
        if _ERRORISH.search(lines[i]) and not lines[i].startswith("+ "):
            culprit = i
            break
    if culprit is None:  # the last output before the failure
        culprit = max(start, bad_exit - 1)
        while culprit > start and not lines[culprit].strip():
            culprit -= 1
    text = lines[culprit].strip()[:200]
    return f"{section} failed at line {culprit + first} of the log: {text}"
