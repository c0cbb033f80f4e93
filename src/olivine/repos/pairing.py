"""repomd.xml and its .asc are two requests, and a signed publish may move the head between
them; dnf (librepo) checks only the first signature of a .asc, so one file cannot serve two
revisions. This module keeps the pair matching across every API process (behind a load balancer
without affinity too), with the state in the database and no cost on the hot path away from a
head move:

1. A signed head move writes a `repomd_switches` row (from, to, unix time) in the transaction
   that moves the head, then stamps the row with the time the move committed
   (`activate_paired`): a view that shows the new head shows its switch.
2. An API process reads a head together with its recent switches (head first: a view that shows
   the new head also shows its switch). While a switch is recent (`window`: the head cache's TTL
   plus `PAIR_SECONDS` plus a margin), every repomd.xml it serves is recorded per client in
   `repomd_clients` before the answer is sent.
3. repomd.xml.asc: the client's record, if it is younger than `PAIR_SECONDS`, names the revision;
   without one, a client inside a window was served before the window began (the `from` of the
   oldest recent switch); otherwise the head's.

A client is its address as the API sees it (behind a proxy, uvicorn's `--forwarded-allow-ips`
makes that the client's own). Clients behind one address that read across one head move within
`PAIR_SECONDS` share a record; the last one's pair is served to both (dnf then says "Bad GPG
signature" and its next run reads a matching pair). A rollback moves its heads the same way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import RepositoryHead, RepositoryRevision
from olivine.db.models.signing import RepomdClient, RepomdSwitch

PAIR_SECONDS = 10.0  # the longest gap between a client's repomd.xml and its .asc that is covered
MARGIN = 5.0  # slack for a slow head move and for clocks of several hosts
KEEP_SWITCHES = 3600.0
KEEP_CLIENTS = 600.0


@dataclass(frozen=True)
class Switch:
    from_revision_id: int | None
    to_revision_id: int
    moved_at: float


def window(head_ttl: float) -> float:
    """How long after a switch repomd.xml answers are recorded per client."""
    return head_ttl + PAIR_SECONDS + MARGIN


# ---- the write side: a signed publish moves its heads ----


def activate_paired(db: Database, revision_ids: Sequence[int]) -> None:
    """Move the heads to these revisions (signed already), recording each move as a switch in
    the same transaction (two round trips to the database in all, with the stamp)."""
    from olivine.repos.publish import move_heads

    ids = list(revision_ids)
    if not ids:
        return
    with db.session() as s:
        switch_ids = _record_switches(s, ids)
        _forget_old(s)
        move_heads(s, ids)
    with db.session() as s:
        s.execute(
            update(RepomdSwitch).where(RepomdSwitch.id.in_(switch_ids)).values(moved_at=time.time())
        )


def _record_switches(s: Session, ids: list[int]) -> list[int]:
    now = time.time()
    revs = s.execute(
        select(RepositoryRevision.id, RepositoryRevision.repository_id, RepositoryRevision.arch)
        .where(RepositoryRevision.id.in_(ids))
    ).all()  # fmt: skip
    current = {
        (repo_id, arch): rev_id
        for repo_id, arch, rev_id in s.execute(
            select(RepositoryHead.repository_id, RepositoryHead.arch, RepositoryHead.revision_id)
            .where(RepositoryHead.repository_id.in_({r[1] for r in revs}))
        )
    }  # fmt: skip
    made = [
        RepomdSwitch(
            repository_id=repo_id,
            arch=arch,
            from_revision_id=current.get((repo_id, arch)),
            to_revision_id=rev_id,
            moved_at=now,
        )
        for rev_id, repo_id, arch in revs
        if current.get((repo_id, arch)) != rev_id
    ]
    s.add_all(made)
    s.flush()
    return [sw.id for sw in made]


def _forget_old(s: Session) -> None:
    now = time.time()
    s.execute(delete(RepomdSwitch).where(RepomdSwitch.moved_at < now - KEEP_SWITCHES))
    s.execute(delete(RepomdClient).where(RepomdClient.served_at < now - KEEP_CLIENTS))


# ---- the read side: the API processes ----


def recent_switches(s: Session, repository_id: int, arch: str, since: float) -> tuple[Switch, ...]:
    rows = s.execute(
        select(RepomdSwitch.from_revision_id, RepomdSwitch.to_revision_id, RepomdSwitch.moved_at)
        .where(RepomdSwitch.repository_id == repository_id, RepomdSwitch.arch == arch,
               RepomdSwitch.moved_at >= since)
        .order_by(RepomdSwitch.moved_at)
    ).all()  # fmt: skip
    return tuple(Switch(a, b, float(t)) for a, b, t in rows)


def live(switches: Sequence[Switch], now: float, head_ttl: float) -> list[Switch]:
    return [sw for sw in switches if now - sw.moved_at < window(head_ttl)]


def note_served(db: Database, client: str, repository_id: int, arch: str, revision_id: int) -> None:
    """Record (before the answer goes out) which revision's repomd.xml this client got."""
    values = {"client": client[:64], "repository_id": repository_id, "arch": arch,
              "revision_id": revision_id, "served_at": time.time()}  # fmt: skip
    dialect = db.engine.dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RepomdClient)
    stmt = ins.values(**values).on_conflict_do_update(
        index_elements=["client", "repository_id", "arch"],
        set_={"revision_id": revision_id, "served_at": values["served_at"]},
    )
    with db.session() as s:
        s.execute(stmt)


def asc_revision(db: Database, client: str, repository_id: int, arch: str, head: int,
                 switches: Sequence[Switch], head_ttl: float) -> int:  # fmt: skip
    """The revision whose signature this client's repomd.xml.asc must carry."""
    now = time.time()
    with db.session() as s:
        got = s.execute(
            select(RepomdClient.revision_id, RepomdClient.served_at).where(
                RepomdClient.client == client[:64],
                RepomdClient.repository_id == repository_id,
                RepomdClient.arch == arch,
            )
        ).first()
    if got is not None and now - got[1] < PAIR_SECONDS:
        return int(got[0])
    recent = live(switches, now, head_ttl)
    if recent and head in {sw.to_revision_id for sw in recent}:
        before = recent[0].from_revision_id  # served before any recent switch was known
        return before if before is not None else head
    return head
