"""Workflow histories kept as fixtures, so that an upgrade's workflow code is proven to replay
what the released code recorded (`olivine up` resumes in-flight workflows across an upgrade).

Recording: run integration tests with OLIVINE_TEST_RECORD_HISTORIES=DIR; before each test Temporal
server stops, every workflow it ran is written to DIR as `<WorkflowType>-<hash>.json.gz`
(a few per type and final status). tests/integration/workflows/test_replay.py replays what is
kept under tests/integration/workflows/histories/.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from temporalio.client import Client, WorkflowHistory

KEPT = Path(__file__).parent / "workflows" / "histories"
PER_KIND = 4  # histories kept per (workflow type, final status)


def record_dir() -> Path | None:
    out = os.environ.get("OLIVINE_TEST_RECORD_HISTORIES")
    return Path(out) if out else None


async def record(client: Client, out: Path) -> int:
    """Write the histories of the workflows `client`'s namespace holds; the count written."""
    out.mkdir(parents=True, exist_ok=True)
    kept = Counter(p.name.rsplit("-", 1)[0] for p in out.glob("*.json.gz"))
    written = 0
    async for wf in client.list_workflows():
        kind = f"{wf.workflow_type}-{wf.status.name if wf.status else 'UNKNOWN'}"
        if kept[kind] >= PER_KIND:
            continue
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        digest = hashlib.sha256(f"{wf.id}/{wf.run_id}".encode()).hexdigest()[:12]
        path = out / f"{kind}-{digest}.json.gz"
        path.write_bytes(gzip.compress(history.to_json().encode(), mtime=0))
        kept[kind] += 1
        written += 1
    return written


def record_at(address: str, out: Path) -> int:
    async def go() -> int:
        return await record(await Client.connect(address), out)

    return asyncio.run(go())


def load(path: Path) -> WorkflowHistory:
    data = json.loads(gzip.decompress(path.read_bytes()))
    return WorkflowHistory.from_json(path.name, data)
