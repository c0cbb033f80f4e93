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
