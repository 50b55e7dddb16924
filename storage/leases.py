"""Workers' leases: a running process renews its lease (its heartbeat) while it lives; a claim
whose worker has no live lease belongs to a dead process and may be taken over by anyone.

`Lease` is the one owner of a worker's lease state: what the database granted it last — by
its heartbeat, or (SQLite) by any write of this process, which renews it in the same
transaction (see `storage.database`) — and so whether this worker may still send what it
claimed (`alive()`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Repository
from storage.models import Worker
from storage.rows import aware, changed_rows, utc

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    """host:pid:random — unique even when a restarted process gets the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseStore(Repository):
    """The `workers` table: one row per running worker, with the time its lease runs until."""

    async def heartbeat(self, worker: str, *, now: datetime, lease: timedelta) -> None:
        """Renew `worker`'s lease until now + lease (created on the first beat)."""
        now = utc(now)
        async with self.db.write() as s:
            if not await changed_rows(
                s, update(Worker).where(Worker.id == worker).values(lease_until=now + lease)
            ):
                s.add(Worker(id=worker, started_at=now, lease_until=now + lease))

    async def lease_until(self, worker: str) -> datetime | None:
        async with self.db.read() as s:
            until = await s.scalar(select(Worker.lease_until).where(Worker.id == worker))
            return aware(until) if until is not None else None

    async def drop_worker(self, worker: str, *, now: datetime | None = None) -> None:
        """A worker that stops cleanly ends its lease (and forgets workers long dead)."""
        async with self.db.write() as s:
            await s.execute(delete(Worker).where(Worker.id == worker))
            if now is not None:
                await s.execute(delete(Worker).where(Worker.lease_until < utc(now) - timedelta(days=1)))

    def lease(self, worker: str | None = None, *, seconds: float, clock: Callable[[], datetime]) -> Lease:
        """This process's lease for `worker` (a new id when None), not yet taken: `await lease.beat()`."""
        return Lease(self, worker or new_worker_id(), seconds=seconds, clock=clock)


class Lease:
    """One worker's lease, renewed by `run` every lease/4 (its heartbeat) and, on SQLite, by every
    write transaction of this process.

    `alive()` is False once the last renewal that went through is older than the lease: then
    other workers may already have taken this worker's claims, so it must not send them.
    """

    def __init__(
        self, store: LeaseStore, worker: str, *, seconds: float, clock: Callable[[], datetime]
    ) -> None:
        self.store, self.worker, self.seconds, self.clock = store, worker, seconds, clock
        self._beaten_until: datetime | None = None  # granted by the last heartbeat
        self._written_until: datetime | None = None  # granted by the last write that renewed it

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    async def beat(self) -> None:
        """Renew the lease now (the first beat creates it) and keep it renewed inside writes."""
        now = self.clock()
        await self.store.heartbeat(self.worker, now=now, lease=self.length)
        self._beaten_until = now + self.length
        # SQLite has one writer at a time: a long write (an import) would hold back the heartbeat
        # and let the lease lapse while the worker lives. So on SQLite every write transaction of
        # this process also renews it — they commit together, and no other process can take the
        # claims over while the write holds the lock.
        self.store.db.renew_in_writes(self)

    def alive(self) -> bool:
        """Whether the lease certainly still holds (with a margin: stop sending a little before
        others may take over)."""
        until = self._beaten_until
        if until is None:
            return False
        if self._written_until is not None and self._written_until > until:
            until = self._written_until
        return self.clock() < until - self.length / 8

    async def run(self, stop: asyncio.Event) -> None:
        """Renew until `stop` is set; a failed renewal is logged and tried again soon."""
        while not stop.is_set():
            try:
                await self.beat()
            except Exception:
                log.exception("could not renew the worker lease")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.seconds / 4)
            except TimeoutError:
                pass

    async def end(self) -> None:
        """A clean stop: the lease ends now, so nobody waits for it to lapse."""
        self.store.db.stop_renewing(self)
        self._written_until = None
        await self.store.drop_worker(self.worker, now=self.clock())
        self._beaten_until = None

    # -- renewed inside this process's writes (storage.database.RenewedInWrites) -------------

    async def renew(self, s: AsyncSession) -> datetime:
        until = utc(self.clock()) + self.length
        await s.execute(update(Worker).where(Worker.id == self.worker).values(lease_until=until))
        return until

    def renewed(self, until: datetime) -> None:
        self._written_until = until
