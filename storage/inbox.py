"""The inbox of pushed updates (issue 30): kept before they are acknowledged, handled once, in order.

A repository of its own on the shared `Database` (`storage.database`), reached from the façade
as one attribute, `Storage.inbox`, like the dashboard's `Storage.web`: its verbs (keep, claim,
finish) are the inbox's, not every repository's.

- **Kept first.** A webhook stores the update (`keep`) and only then answers 200. The update's
  own id — Telegram's `update_id` (with the bot's id), Zalo's message id — is unique per
  channel, so a repeat (Telegram re-sends what it got no answer for; behind a balancer the
  retry reaches another worker) is dropped at the door: `keep` returns False and nothing runs.
- **Claimed per chat.** A chat's pending updates are handled by one worker at a time: the
  worker holding the chat's row in `inbox_claims`. A claim belongs to a worker of the
  `workers` table (issue 15's leases); once that worker's lease has lapsed (it died) anyone may
  take the chat over. Claims are rows, not PostgreSQL advisory locks, so they work the same on
  SQLite, through PgBouncer's transaction pooling, and without holding a connection while a
  turn runs.
- **In order.** Within a chat, pending updates are handled by `seq` (Telegram's `update_id`,
  Zalo's message time), then by arrival.
- **No update stranded between two workers.** A worker that finishes an update asks for the
  chat's next ones in the same transaction, and lets the claim go only in a statement that
  finds none pending (`finish`). A worker that has just stored an update for a chat another
  worker holds leaves it to that worker; the claim's row lock makes the two meet in order (the
  claimer waits for the releaser's commit on PostgreSQL; SQLite has one writer).
- **The handled mark** (`finish`) sets `handled_at` and clears the payload: what a chat said is
  not kept once answered; the key stays `KEEP` (two days, past Telegram's 24 hours of re-sends)
  so a late repeat is still dropped, then `purge` removes it.

SQLite starts a transaction at its first write: every write transaction here begins with a
write, so what it reads after is read under the write lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Repository
from storage.models import Base, Worker
from storage.rows import aware, changed_rows, utc
from storage.types import UTCDateTime

KEEP = timedelta(days=2)  # handled keys kept this long: Telegram re-sends for up to 24 hours
PURGE_BATCH = 5_000

# SQLite's rowid is its 64-bit INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer, "sqlite")


class InboxUpdate(Base):
    """One pushed update: kept until handled, then its key alone until `KEEP` has passed."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "key", name="uq_inbox_channel_key"),
        # Only pending rows are indexed by chat: the index stays as small as the backlog.
        Index(
            "ix_inbox_pending",
            "chat",
            "seq",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
        Index("ix_inbox_handled_at", "handled_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(100))
    chat: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    takeovers: Mapped[int] = mapped_column(Integer, default=0)


class InboxClaim(Base):
    """Which worker is handling a chat's updates (absent: nobody)."""

    __tablename__ = "inbox_claims"

    chat: Mapped[str] = mapped_column(String(120), primary_key=True)
    worker: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Pending:
    """A pending update handed to the worker that holds its chat."""

    id: int
    channel: str
    key: str
    chat: str
    payload: dict[str, Any]
    takeovers: int  # times its chat was taken over from a dead worker while it was first in line


@dataclass(frozen=True)
class Claimed:
    """A chat this worker now holds, with its first pending updates (empty: released again)."""

    chat: str
    updates: list[Pending]
    taken_over: bool  # from a worker whose lease had lapsed


@dataclass(frozen=True)
class Kept:
    """What `keep` did: stored a new update (else a repeat), and claimed its chat for the caller."""

    new: bool
    held: bool


@dataclass(frozen=True)
class Backlog:
    """What /readyz shows: updates kept but not handled yet, and the oldest one's age."""

    pending: int
    oldest: datetime | None


def _utc(value: datetime) -> datetime:
    return aware(utc(value))


class Inbox(Repository):
    """The `inbox` and `inbox_claims` tables, through the shared `Database`."""

    async def keep(
        self,
        channel: str,
        key: str,
        chat: str,
        seq: int,
        payload: dict[str, Any],
        *,
        now: datetime,
        worker: str | None = None,
    ) -> Kept:
        """Store a pushed update before it is acknowledged (`new` False: its key was kept already).

        With `worker`, a new update's chat is also claimed for it in the same transaction when no
        one holds it (`held`): the usual case — one update, nobody on the chat — then costs one
        commit here and one in `finish`. A chat someone holds (even a dead worker) is left to
        `claim`."""
        chat = chat[:120]
        row: dict[str, Any] = {
            "channel": channel,
            "key": key[:100],
            "chat": chat,
            "seq": seq,
            "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            "received_at": _utc(now),
            "takeovers": 0,
        }
        async with self.db.write() as s:
            if not await changed_rows(s, self.db.insert_new(InboxUpdate, [row], key=("channel", "key"))):
                return Kept(new=False, held=False)
            if worker is None:
                return Kept(new=True, held=False)
            held = await self._claim_free(s, chat, worker, _utc(now))
            return Kept(new=True, held=held)

    async def _claim_free(self, s: AsyncSession, chat: str, worker: str, now: datetime) -> bool:
        """Take `chat` for `worker` if nobody holds it (a row being let go is waited for)."""
        claim = {"chat": chat, "worker": worker, "claimed_at": now}
        return bool(await changed_rows(s, self.db.insert_new(InboxClaim, [claim], key="chat")))

    async def pending(self, chat: str, *, limit: int = 20) -> list[Pending]:
        """A chat's first pending updates, read without a transaction (for the worker holding it)."""
        async with self.db.read() as s:
            return await _pending(s, chat, limit)

    async def claim(self, chat: str, *, worker: str, now: datetime, limit: int = 20) -> Claimed | None:
        """Hold `chat` for `worker` — free, already ours, or its holder's lease lapsed — and return
        its first pending updates; None while another live worker holds it. A chat with nothing
        pending is let go at once (`updates` empty)."""
        now = _utc(now)
        async with self.db.write() as s:
            taken_over = False
            if not await self._claim_free(s, chat, worker, now):
                holder = await s.scalar(select(InboxClaim.worker).where(InboxClaim.chat == chat).with_for_update())
                if holder is None:  # let go between the two statements: take it now
                    if not await self._claim_free(s, chat, worker, now):
                        return None
                elif holder != worker:
                    if await _alive(s, holder, now):
                        return None
                    await s.execute(
                        update(InboxClaim).where(InboxClaim.chat == chat).values(worker=worker, claimed_at=now)
                    )
                    taken_over = True
            updates = await _pending(s, chat, limit)
            if taken_over and updates:
                first = updates[0]
                await s.execute(update(InboxUpdate).where(InboxUpdate.id == first.id).values(takeovers=first.takeovers + 1))
                updates[0] = Pending(first.id, first.channel, first.key, first.chat, first.payload, first.takeovers + 1)
            if not updates:
                await s.execute(delete(InboxClaim).where(InboxClaim.chat == chat, InboxClaim.worker == worker))
            return Claimed(chat, updates, taken_over)

    async def finish(
        self, update_id: int, *, chat: str, worker: str, now: datetime, limit: int = 20, outcome: str | None = None
    ) -> list[Pending] | None:
        """Mark one update handled (its payload dropped) and return the chat's next pending ones;
        when none is left the claim is let go in the same statement that finds none. None: the
        chat is no longer ours (our lease lapsed and another worker took it over)."""
        now = _utc(now)
        async with self.db.write() as s:
            await s.execute(
                update(InboxUpdate)
                .where(InboxUpdate.id == update_id, InboxUpdate.handled_at.is_(None))
                .values(handled_at=now, handled_by=(outcome or worker)[:100], payload=None)
            )
            pending = select(InboxUpdate.id).where(InboxUpdate.chat == chat, InboxUpdate.handled_at.is_(None))
            if await changed_rows(
                s, delete(InboxClaim).where(InboxClaim.chat == chat, InboxClaim.worker == worker, ~pending.exists())
            ):
                return []
            holder = await s.scalar(select(InboxClaim.worker).where(InboxClaim.chat == chat))
            if holder != worker:
                return None
            return await _pending(s, chat, limit)

    async def release(self, *, worker: str) -> int:
        """A worker stopping cleanly lets all its chats go: others take them at once."""
        async with self.db.write() as s:
            return await changed_rows(s, delete(InboxClaim).where(InboxClaim.worker == worker))

    async def waiting_chats(self, *, now: datetime, worker: str = "", limit: int = 50) -> list[str]:
        """Chats with pending updates that no other live worker holds (never claimed, their
        worker died, or held by `worker` itself after a failure), oldest first: what a worker's
        sweep picks up."""
        live = select(Worker.id).where(Worker.lease_until >= _utc(now), Worker.id != worker)
        held = select(InboxClaim.chat).where(InboxClaim.worker.in_(live))
        query = (
            select(InboxUpdate.chat)
            .where(InboxUpdate.handled_at.is_(None), InboxUpdate.chat.not_in(held))
            .group_by(InboxUpdate.chat)
            .order_by(func.min(InboxUpdate.id))
            .limit(limit)
        )
        async with self.db.read() as s:
            return list((await s.scalars(query)).all())

    async def backlog(self) -> Backlog:
        async with self.db.read() as s:
            count, oldest = (
                await s.execute(
                    select(func.count(InboxUpdate.id), func.min(InboxUpdate.received_at)).where(
                        InboxUpdate.handled_at.is_(None)
                    )
                )
            ).one()
        return Backlog(int(count or 0), _utc(oldest) if oldest is not None else None)

    async def purge(self, *, now: datetime, keep: timedelta = KEEP, batch: int = PURGE_BATCH) -> int:
        """Forget handled keys older than `keep`, a batch at a time (a short write each)."""
        old = (
            select(InboxUpdate.id)
            .where(InboxUpdate.handled_at.is_not(None), InboxUpdate.handled_at < _utc(now) - keep)
            .limit(batch)
        )
        async with self.db.write() as s:
            return await changed_rows(s, delete(InboxUpdate).where(InboxUpdate.id.in_(old.scalar_subquery())))

    async def handled(self, channel: str, key: str) -> datetime | None:
        """When an update was handled (None: pending or unknown) — for tests and diagnostics."""
        async with self.db.read() as s:
            found = await s.scalar(
                select(InboxUpdate.handled_at).where(InboxUpdate.channel == channel, InboxUpdate.key == key)
            )
        return _utc(found) if found is not None else None


async def _alive(s: AsyncSession, worker: str, now: datetime) -> bool:
    return (
        await s.scalar(select(Worker.id).where(Worker.id == worker, Worker.lease_until >= now))
    ) is not None


async def _pending(s: AsyncSession, chat: str, limit: int) -> list[Pending]:
    rows = await s.execute(
        select(
            InboxUpdate.id, InboxUpdate.channel, InboxUpdate.key, InboxUpdate.payload, InboxUpdate.takeovers
        )
        .where(InboxUpdate.chat == chat, InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.seq, InboxUpdate.id)
        .limit(limit)
    )
    return [
        Pending(id_, channel, key, chat, _decoded(payload), takeovers or 0)
        for id_, channel, key, payload, takeovers in rows
    ]


def _decoded(payload: str | None) -> dict[str, Any]:
    try:
        value = json.loads(payload or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
