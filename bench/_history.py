"""A workflow's Temporal history as a timeline: each activity's queue wait (scheduled -> a worker
started it) and run time (started -> completed), and each workflow task's, so that the
orchestration's round trips show next to the work they surround."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client


@dataclass
class Step:
    name: str
    scheduled: float
    started: float
    done: float

    @property
    def wait(self) -> float:
        return self.started - self.scheduled

    @property
    def run(self) -> float:
        return self.done - self.started


def _t(e: HistoryEvent) -> float:
    return e.event_time.seconds + e.event_time.nanos / 1e9


def steps(events: list[HistoryEvent]) -> list[Step]:
    """Activities, workflow tasks and child workflows, in the order they were scheduled; a
    signal received is a step of no length ("signal <name>")."""
    sched: dict[int, tuple[str, float]] = {}
    started: dict[int, float] = {}
    out: list[Step] = []
    for e in events:
        kind = e.WhichOneof("attributes") or ""
        if kind == "activity_task_scheduled_event_attributes":
            name = e.activity_task_scheduled_event_attributes.activity_type.name
            sched[e.event_id] = (name, _t(e))
        elif kind == "workflow_task_scheduled_event_attributes":
            sched[e.event_id] = ("(workflow task)", _t(e))
        elif kind == "start_child_workflow_execution_initiated_event_attributes":
            wf = e.start_child_workflow_execution_initiated_event_attributes.workflow_type.name
            sched[e.event_id] = (f"child {wf}", _t(e))
        elif kind == "workflow_execution_signaled_event_attributes":
            name = e.workflow_execution_signaled_event_attributes.signal_name
            out.append(Step(f"signal {name}", _t(e), _t(e), _t(e)))
        elif kind == "activity_task_started_event_attributes":
            started[e.activity_task_started_event_attributes.scheduled_event_id] = _t(e)
        elif kind == "workflow_task_started_event_attributes":
            started[e.workflow_task_started_event_attributes.scheduled_event_id] = _t(e)
        elif kind == "child_workflow_execution_started_event_attributes":
            started[e.child_workflow_execution_started_event_attributes.initiated_event_id] = _t(e)
        else:
            ref = _closing_ref(e, kind)
            if ref in sched and ref in started:
                name, at = sched[ref]
                out.append(Step(name, at, started[ref], _t(e)))
    return sorted(out, key=lambda s: s.scheduled)


def _closing_ref(e: HistoryEvent, kind: str) -> int:
    if kind in (
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
    ):
        return int(getattr(e, kind).scheduled_event_id)
    if kind in (
        "workflow_task_completed_event_attributes",
        "workflow_task_failed_event_attributes",
    ):
        return int(getattr(e, kind).scheduled_event_id)
    if kind == "child_workflow_execution_completed_event_attributes":
        return int(e.child_workflow_execution_completed_event_attributes.initiated_event_id)
    return -1


async def fetch(address: str, workflow_id: str) -> list[HistoryEvent]:
    client = await Client.connect(address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return list(history.events)


def timeline(address: str, workflow_id: str) -> list[Step]:
    return steps(asyncio.run(fetch(address, workflow_id)))
