"""Bounded integer parameters for route signatures. Python's int has no bound, the database's
has (a BIGINT is at most 2^63-1), so an unbounded `int` parameter turns `/tasks/1e20` written
out into an error of the driver; these make it a 422 naming the parameter instead (api/errors.py
still maps what gets past them, OverflowError and DataError, to 422).

    def show_task(task_id: IdPath, ...)            # 1 .. 2^63-1
    def tasks(..., parent: IdQuery = None, offset: Offset = 0)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INT64_MAX = 2**63 - 1

IdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="an id (1 .. 2^63-1)")]
IdQuery = Annotated[int | None, Query(ge=1, le=INT64_MAX, description="an id (1 .. 2^63-1)")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="items to skip")]
Seq = Annotated[int, Query(ge=-1, le=INT64_MAX, description="a log sequence number, or -1")]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many items (1 .. 1000)")]
