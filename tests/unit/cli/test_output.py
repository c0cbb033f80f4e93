import json

import pytest

from olivine.cli.output import show

ROWS = [
    {"id": 7, "nevr": "basesystem-11-13.el9.noarch", "forge_commit": "f" * 40, "note": None},
    {"id": 8, "nevr": "bash-5.1.8-9.el9.x86_64", "forge_commit": "0123abcd" * 5, "note": "x"},
]


def test_a_list_in_a_pipe_is_whole_values_separated_by_tabs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    show(ROWS, False, ["id", "nevr", "forge_commit", "note"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ID\tNEVR\tFORGE_COMMIT\tNOTE"
    assert lines[1] == f"7\tbasesystem-11-13.el9.noarch\t{'f' * 40}\t"
    assert lines[2].split("\t") == ["8", "bash-5.1.8-9.el9.x86_64", "0123abcd" * 5, "x"]


def test_json_gives_the_whole_list(capsys: pytest.CaptureFixture[str]) -> None:
    show(ROWS, True, ["id"])
    assert json.loads(capsys.readouterr().out) == ROWS


def test_lists_print_joined_and_durations_read_as_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from olivine.cli.output import cell
    from olivine.cli.tasks import duration_text

    assert cell(["x86_64", "aarch64"]) == "x86_64,aarch64" and cell(None) == ""
    show({"arches": ["x86_64", "aarch64"], "items": [{"a": 1}]}, False)
    assert capsys.readouterr().out.splitlines() == ["arches: x86_64,aarch64"]
    assert [duration_text(s) for s in (4.25, 125, 3723, None)] == ["4.2s", "2m05s", "1h02m03s", ""]


def test_api_timestamps_are_utc_with_a_z() -> None:
    from datetime import datetime, timedelta, timezone

    from olivine.api.schemas import utc_text

    assert utc_text(datetime(2026, 12, 1, 10, 37, 57, 123)) == "2026-12-01T10:37:57Z"
    paris = timezone(timedelta(hours=1))
    assert utc_text(datetime(2026, 12, 1, 11, 0, 0, tzinfo=paris)) == "2026-12-01T10:00:00Z"
