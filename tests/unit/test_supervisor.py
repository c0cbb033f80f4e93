"""`olivine up` starts a dead worker again after a backoff: 1 s, doubling to 60 s while it keeps
dying soon after each start, back to 1 s once it ran a while (the e2e test of a killed worker is
tests/e2e/test_up_instances.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from olivine.supervisor import RESTART_STABLE, Children, restart_delay


def test_a_first_death_waits_one_second() -> None:
    assert restart_delay(None, 0.0) == 1.0
    assert restart_delay(None, 10_000.0) == 1.0


def test_a_crash_loop_doubles_the_wait_up_to_a_minute() -> None:
    delays: list[float] = []
    previous = None
    for _ in range(10):
        previous = restart_delay(previous, uptime=0.5)
        delays.append(previous)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_a_child_that_stayed_up_starts_the_backoff_afresh() -> None:
    assert restart_delay(60.0, RESTART_STABLE - 1) == 60.0
    assert restart_delay(60.0, RESTART_STABLE) == 1.0
    assert restart_delay(8.0, RESTART_STABLE + 3600) == 1.0


def test_a_crash_looping_child_is_started_again_at_growing_intervals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real child that exits at once, tended with a clock of the test's own."""
    children = Children(tmp_path)
    children.start("worker", ["/bin/sh", "-c", "exit 3"])  # not watched: tended by hand below
    child = children.procs[0]
    starts: list[float] = []
    now = child.started
    for _ in range(5):
        assert child.proc is not None
        child.proc.wait()
        children._tend(child, now)  # noticed dead: due after its delay
        assert child.due is not None
        children._tend(child, child.due - 0.1)  # not yet
        assert child.due is not None
        now = child.due
        children._tend(child, now)  # due: started again
        assert child.due is None
        starts.append(now)
    gaps = [round(b - a) for a, b in itertools.pairwise(starts)]
    assert gaps == [2, 4, 8, 16]
    out = capsys.readouterr().out
    assert "the worker exited with code 3; started it again (restart 1)" in out
    assert "the worker exited with code 3; starting it again in 2 s (restart 2)" in out
    assert "the worker exited with code 3; started it again (restart 5)" in out
    children.stop_all(timeout=5)
