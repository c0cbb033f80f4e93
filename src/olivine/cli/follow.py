"""`--follow`: print a task's log and its subtasks' logs (a build's arch builds) as they are
written, each subtask's line prefixed with its arch (or package, or kind). The loop polls the
task; each poll prints what every unfinished log gained since the last one."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from olivine.cli.client import Api

TERMINAL = {"succeeded", "failed", "canceled"}
PAGE = 1000  # chunks the API answers at most per read


@dataclass
class LogFollower:
    api: Api
    out: TextIO = field(default_factory=lambda: sys.stdout)
    after: dict[int, int] = field(default_factory=dict)  # task id -> last seq printed
    ended: set[int] = field(default_factory=set)  # tasks whose whole log was printed

    def poll(self, task: dict[str, Any]) -> None:
        """Print what the task's log and its children's logs gained (`task` as the API shows
        it, with `children`)."""
        streams = [(task, "")] + [(c, f"[{_label(c)}] ") for c in _kids(task)]
        for t, prefix in streams:
            if t["id"] in self.ended:
                continue
            self._drain(t["id"], prefix)
            if t["status"] in TERMINAL:  # read before the drain: nothing is written after it
                self.ended.add(t["id"])
        self.out.flush()

    def _drain(self, task_id: int, prefix: str) -> None:
        while True:
            params = {"after": self.after.get(task_id, -1)}
            page = self.api.get(f"/api/v1/tasks/{task_id}/logs", params=params)
            for c in page["chunks"]:
                self.out.write(_prefixed(c["text"], prefix))
                self.after[task_id] = c["seq"]
            if len(page["chunks"]) < PAGE:
                return


def follow_task(api: Api, task_id: int, poll: float = 0.5) -> dict[str, Any]:
    """Print the logs of the task and its subtasks until the task ends; the task as it ended."""
    follower = LogFollower(api)
    while True:
        task: dict[str, Any] = api.get(f"/api/v1/tasks/{task_id}")
        follower.poll(task)
        if task["status"] in TERMINAL:
            return task
        time.sleep(poll)


def _label(task: dict[str, Any]) -> str:
    return str(task.get("arch") or task.get("package") or task["kind"])


def _kids(task: dict[str, Any]) -> list[dict[str, Any]]:
    return list(task.get("children") or [])


def _prefixed(text: str, prefix: str) -> str:
    if not prefix:
        return text
    return "".join(prefix + line for line in text.splitlines(keepends=True))
