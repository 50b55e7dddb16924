"""The delivery log: every reminder and digest ever claimed, by its key, and what became of it.

The unique `key` is what makes a send happen at most once per claim (the argument is in
`bot.delivery.tick`): a key is claimed before it is sent (an INSERT only one worker wins, or a
conditional UPDATE to take it over), its outcome recorded only by the worker that still holds
it, and just before sending the occurrence and the recipient are read again (`deliverable`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    String,
    Update,
    any_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.address import Address
from bot.core.domain import OccurrenceStatus
from storage.database import Repository
from storage.models import ChatLink, Occurrence, Plan, ReminderLog, Task, User, Worker
from storage.rows import aware, chunks, utc
from storage.users import split_account


@dataclass(frozen=True)
class RetryInfo:
    status: str  # claimed (its worker died) | failed | released | unknown
    first_at: datetime  # when the key was first claimed
    attempts: int  # sends tried so far (a takeover after a crash does not count)
    recipient: Address


class NewClaim(NamedTuple):
    """A key to claim: who gets it, what it reminds of (None for a digest) and the lead time ("d3")."""

    key: str
    recipient: Address
    occurrence_id: int | None
    lead: str


def retake_condition(now: datetime) -> ColumnElement[bool]:
    """SQL for "another worker may take this claim now" (see `DeliveryLog.retryable`)."""
    now = utc(now)
    live = select(Worker.id).where(Worker.lease_until >= now)
    due = or_(ReminderLog.next_at.is_(None), ReminderLog.next_at <= now)
    return or_(
        (ReminderLog.status == "claimed") & ReminderLog.worker.not_in(live),
        ReminderLog.status.in_(["failed", "released"]) & due,
        (ReminderLog.status == "unknown") & (ReminderLog.doubts < 2) & due,
    )


class DeliveryLog(Repository):
    """Claims, their retries and outcomes, and the re-check before a send."""

    async def claimed_keys(self, keys: Iterable[str]) -> set[str]:
        """Keys already in the log in a final state or claimed recently (not to be planned again).

        The keys travel as ONE parameter (a PostgreSQL array, a JSON list for SQLite's json_each):
        a full pass over 200,000 occurrences asks about tens of thousands, and an IN list of that
        many bound parameters took SQLAlchemy ~2 s to compile (issue 30's benchmark)."""
        query: Select[tuple[str]]
        if self.db.dialect == "postgresql":
            query = select(ReminderLog.key).where(ReminderLog.key == any_(bindparam("keys", type_=ARRAY(String))))
        else:
            listed = select(text("value")).select_from(func.json_each(bindparam("keys"))).scalar_subquery()
            query = select(ReminderLog.key).where(ReminderLog.key.in_(listed))
        found: set[str] = set()
        async with self.db.connect() as conn:
            for chunk in chunks(list(keys), 50_000):
                value: object = chunk if self.db.dialect == "postgresql" else json.dumps(chunk)
                found.update((await conn.execute(query, {"keys": value})).scalars())
        return found

    async def retryable(self, now: datetime) -> dict[str, RetryInfo]:
        """Claims another worker may take now, with what the tick needs to judge them:

        - `claimed` by a worker whose lease lapsed (it crashed): taken over, not a failed attempt;
        - `failed` / `released` once their backoff (`next_at`) has passed;
        - `unknown` (a timeout after the request left) once, after its backoff.
        """
        async with self.db.read() as s:
            rows = await s.execute(
                select(
                    ReminderLog.key,
                    ReminderLog.status,
                    ReminderLog.first_at,
                    ReminderLog.claimed_at,
                    ReminderLog.attempts,
                    ReminderLog.recipient,
                ).where(retake_condition(now))
            )
            return {
                key: RetryInfo(status, aware(first_at or claimed_at), attempts, Address(recipient))
                for key, status, first_at, claimed_at, attempts, recipient in rows
            }

    async def claim(
        self, key: str, *, recipient: Address, occurrence_id: int | None, lead: str, now: datetime, worker: str
    ) -> bool:
        """Take the right to send `key`. Exactly one worker wins, on SQLite and PostgreSQL alike.

        A new key is inserted (the unique index decides between racing workers). An existing
        key is taken again only if `retryable` lists it (its worker died, or it failed and its
        backoff passed) — by a conditional UPDATE that only one worker can win.
        """
        try:
            async with self.db.write() as s:
                s.add(
                    ReminderLog(
                        key=key,
                        recipient=recipient,
                        occurrence_id=occurrence_id,
                        lead=lead,
                        status="claimed",
                        attempts=1,
                        worker=worker,
                        claimed_at=now,
                        first_at=utc(now),
                    )
                )
            return True
        except IntegrityError:
            pass
        return key in await self.retake([key], now=now, worker=worker)

    async def claim_many(self, claims: Sequence[NewClaim], *, now: datetime, worker: str) -> set[str]:
        """Claim many new keys in one statement → the keys won.

        INSERT … ON CONFLICT DO NOTHING RETURNING: a key some other worker (or an earlier run)
        already holds is simply not returned. Stale claims are retaken with `retake`.
        """
        won: set[str] = set()
        async with self.db.write() as s:
            for chunk in chunks(list(claims), 500):
                rows = [
                    {
                        "key": key,
                        "recipient": recipient,
                        "occurrence_id": occurrence_id,
                        "lead": lead,
                        "status": "claimed",
                        "attempts": 1,
                        "worker": worker,
                        "claimed_at": now,
                        "first_at": utc(now),
                    }
                    for key, recipient, occurrence_id, lead in chunk
                ]
                statement = self.db.insert_new(ReminderLog, rows, key="key").returning(ReminderLog.key)
                won.update((await s.execute(statement)).scalars())
        return won

    async def retake(self, keys: Iterable[str], *, now: datetime, worker: str) -> set[str]:
        """Take over keys that `retryable` lists; a conditional UPDATE, so one worker wins each.
        Only a failed or doubtful send counts as another attempt; a crashed owner's claim does not."""
        keys = list(keys)
        won: set[str] = set()
        if not keys:
            return won
        async with self.db.write() as s:
            for chunk in chunks(keys, 500):
                statement = (
                    update(ReminderLog)
                    .where(ReminderLog.key.in_(chunk), retake_condition(now))
                    .values(
                        status="claimed",
                        claimed_at=now,
                        worker=worker,
                        next_at=None,
                        attempts=ReminderLog.attempts
                        + case((ReminderLog.status.in_(["failed", "unknown"]), 1), else_=0),
                    )
                    .returning(ReminderLog.key)
                )
                won.update((await s.execute(statement)).scalars())
        return won

    async def release_claims(self, keys: Sequence[str], *, worker: str, now: datetime) -> None:
        """Give back claims this worker will not send (it is stopping): anyone may take them at once."""
        async with self.db.write() as s:
            for chunk in chunks(list(keys), 500):
                await s.execute(
                    _held(update(ReminderLog), chunk, worker).values(
                        status="released", next_at=None, finished_at=now
                    )
                )

    async def expire_claims(self, keys: Sequence[str], *, now: datetime) -> None:
        """Failed or left-over claims that no longer matter (superseded, their day over): never retried."""
        async with self.db.write() as s:
            for chunk in chunks(list(keys), 500):
                await s.execute(
                    update(ReminderLog)
                    .where(ReminderLog.key.in_(chunk), retake_condition(now))
                    .values(status="expired", finished_at=now)
                )

    async def drop_claims(self, keys: Sequence[str], *, worker: str) -> None:
        """Forget claims that must not be sent after all (work done, task or person gone, muted):
        if the reason goes away (the work is reopened), the planner finds the reminder again."""
        async with self.db.write() as s:
            for chunk in chunks(list(keys), 500):
                await s.execute(_held(delete(ReminderLog), chunk, worker))

    async def finish_claims(
        self,
        keys: Sequence[str],
        *,
        ok: bool,
        now: datetime,
        error: str | None = None,
        final: bool = False,
        worker: str | None = None,
        retry_at: datetime | None = None,
        unknown: bool = False,
    ) -> None:
        """Record a send's outcome: delivered; dead (403, never again); failed (retried from
        `retry_at`); or unknown (a timeout after the request left: resent at most once).

        With `worker`, only claims this worker still holds are touched: if its lease lapsed and
        another worker took a claim over, the newer owner's record wins.
        """
        next_at = utc(retry_at) if retry_at is not None else None
        values: dict[str, object]
        if ok:
            values = {"status": "delivered"}
        elif final:
            values = {"status": "dead"}
        elif unknown:
            values = {"status": "unknown", "doubts": ReminderLog.doubts + 1, "next_at": next_at}
        else:
            values = {"status": "failed", "next_at": next_at}
        values.update(finished_at=now, error=self.db.redact(error)[:2000] if error else None)
        async with self.db.write() as s:
            for chunk in chunks(list(keys), 500):
                statement = update(ReminderLog).where(ReminderLog.key.in_(chunk))
                if worker is not None:
                    statement = statement.where(ReminderLog.worker == worker, ReminderLog.status == "claimed")
                await s.execute(statement.values(**values))

    async def finish_claim(
        self, key: str, *, ok: bool, now: datetime, error: str | None = None, final: bool = False
    ) -> None:
        """Record the outcome: delivered, failed (retried later), or dead (never retried)."""
        await self.finish_claims([key], ok=ok, now=now, error=error, final=final)

    async def reminder_log(self) -> list[dict[str, object]]:
        async with self.db.read() as s:
            rows = (await s.execute(select(ReminderLog).order_by(ReminderLog.id))).scalars().all()
            return [
                {
                    "key": r.key,
                    "recipient": r.recipient,
                    "status": r.status,
                    "attempts": r.attempts,
                    "doubts": r.doubts,
                    "worker": r.worker,
                    "error": r.error,
                }
                for r in rows
            ]

    async def deliverable(
        self, occurrence_ids: Iterable[int], addresses: Iterable[str]
    ) -> tuple[set[int], dict[str, frozenset[int]]]:
        """What may still be sent, read just before sending: the occurrences still open (task not
        removed or archived, plan not archived), and the addresses still approved and active with
        their muted task ids."""
        async with self.db.read() as s:
            return await _open_occurrences(s, set(occurrence_ids)), await _reachable(s, set(addresses))


Statement = TypeVar("Statement", Update, Delete)


def _held(statement: Statement, keys: Sequence[str], worker: str) -> Statement:
    """Only the claims of `keys` this worker still holds."""
    return statement.where(
        ReminderLog.key.in_(keys), ReminderLog.worker == worker, ReminderLog.status == "claimed"
    )


async def _open_occurrences(s: AsyncSession, occurrence_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(list(occurrence_ids), 500):
        query = (
            select(Occurrence.id)
            .join(Task, Task.id == Occurrence.task_id)
            .join(Plan, Plan.id == Task.plan_id)
            .where(
                Occurrence.id.in_(chunk),
                Occurrence.status == OccurrenceStatus.OPEN.value,
                Task.archived_at.is_(None),  # the task left its plan
                Plan.archived_at.is_(None),  # the plan was archived
            )
        )
        found.update((await s.execute(query)).scalars())
    return found


async def _reachable(s: AsyncSession, addresses: set[str]) -> dict[str, frozenset[int]]:
    """Approved, active accounts (with their muted task ids) and active linked groups among `addresses`."""
    people: dict[str, frozenset[int]] = {}
    by_channel: dict[str, list[str]] = {}
    for address in addresses:
        channel, account = split_account(address)
        by_channel.setdefault(channel, []).append(account)
    for channel, accounts in by_channel.items():
        for chunk in chunks(accounts, 500):
            for account, muted in await s.execute(
                select(User.account_id, User.muted).where(
                    User.channel == channel,
                    User.account_id.in_(chunk),
                    User.approved.is_(True),
                    User.active.is_(True),
                )
            ):
                people[Address.of(channel, account)] = frozenset(muted or ())
            for (chat,) in await s.execute(
                select(ChatLink.chat_id).where(
                    ChatLink.channel == channel, ChatLink.chat_id.in_(chunk), ChatLink.active.is_(True)
                )
            ):
                people.setdefault(Address.of(channel, chat), frozenset())
    return people
