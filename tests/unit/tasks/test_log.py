"""A task's log: chunks appended with increasing seq, by one writer or by several at once."""

from concurrent.futures import ThreadPoolExecutor

from olivine.db.base import Database
from olivine.tasks.service import TaskLogWriter, TaskService


def test_chunks_take_increasing_seqs_per_task(db: Database) -> None:
    tasks = TaskService(db)
    a, b = tasks.create("build"), tasks.create("build")
    assert [tasks.log(a, "one\n"), tasks.log(a, "two\n"), tasks.log(b, "x\n")] == [0, 1, 0]
    assert tasks.log(a, "") == -1  # nothing to append: no chunk
    rows = tasks.read_log(a)
    assert [(r.seq, r.text) for r in rows] == [(0, "one\n"), (1, "two\n")]
    assert rows[0].created_at is not None and rows[0].created_at <= rows[1].created_at
    assert [r.text for r in tasks.read_log(a, after=0)] == ["two\n"]


def test_concurrent_writers_lose_no_chunk(db: Database) -> None:
    tasks = TaskService(db)
    t = tasks.create("build")
    with ThreadPoolExecutor(4) as pool:
        seqs = list(pool.map(lambda i: tasks.log(t, f"line {i}\n"), range(40)))
    assert sorted(seqs) == list(range(40))
    assert sorted(r.text for r in tasks.read_log(t)) == sorted(f"line {i}\n" for i in range(40))


def test_writer_buffers_lines_into_chunks(db: Database) -> None:
    tasks = TaskService(db)
    t = tasks.create("build")
    log = TaskLogWriter(tasks, t, interval=3600)
    for i in range(5):
        log.line(f"l{i}")
    assert tasks.read_log(t) == []  # buffered until the interval, the size cap or close
    log.close()
    assert [r.text for r in tasks.read_log(t)] == ["l0\nl1\nl2\nl3\nl4\n"]
