"""Storage for onboarding: invite links, and a group that moved to a new chat id (supergroup).

A mixin of `storage.db.Storage` (the one facade); kept apart so the core tables' code stays small.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from storage.models import ChatLink, Invite, Meta, Plan, ReminderLog, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

INVITE_DAYS = 30


@dataclass(frozen=True)
class InviteRecord:
    code: str
    agency_id: int
    role: str
    auto_approve: bool
    created_by: str
    expires_at: datetime
    uses: int


def _record(row: Invite) -> InviteRecord:
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return InviteRecord(row.code, row.agency_id, row.role, row.auto_approve, row.created_by, expires, row.uses)


class OnboardingStore:
    """Invite links and chat moves; `Storage` provides `write()` and `sessions`."""

    if TYPE_CHECKING:
        sessions: async_sessionmaker[AsyncSession]

        def write(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]: ...

    async def create_invite(
        self, agency_id: int, role: str, *, auto_approve: bool, by: str, now: datetime, days: int = INVITE_DAYS
    ) -> InviteRecord:
        """A new invite code (URL-safe, fits Telegram's 64-character /start payload)."""
        code = secrets.token_urlsafe(9)
        row = Invite(
            code=code,
            agency_id=agency_id,
            role=role,
            auto_approve=auto_approve,
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=days),
            uses=0,
        )
        async with self.write() as s:
            s.add(row)
            await s.flush()
            return _record(row)

    async def invite(self, code: str) -> InviteRecord | None:
        async with self.sessions() as s:
            row = await s.get(Invite, code)
            return _record(row) if row else None

    async def count_invite_use(self, code: str) -> None:
        async with self.write() as s:
            await s.execute(update(Invite).where(Invite.code == code).values(uses=Invite.uses + 1))

    async def sample_plans(self, number: str, source_file: str) -> int:
        """How many plans are the sample of /demo (its number and file name)."""
        async with self.sessions() as s:
            rows = await s.execute(
                select(Plan.id).where(Plan.number == number, Plan.source_file == source_file)
            )
            return len(rows.all())

    async def remove_sample_plans(self, number: str, source_file: str) -> int:
        """Delete the sample plan of /demo with its tasks (the database cascades); how many went."""
        async with self.write() as s:
            res = await s.execute(delete(Plan).where(Plan.number == number, Plan.source_file == source_file))
            if res.rowcount:
                meta = await s.get(Meta, "tasks_rev")
                if meta is None:
                    s.add(Meta(key="tasks_rev", value=1))
                else:
                    meta.value += 1
            return res.rowcount

    async def move_chat(self, old: str, new: str) -> bool:
        """A chat got a new id (Telegram: a group upgraded to a supergroup): its link and the
        group's own user row follow it. True when something moved."""
        old_channel, old_id = old.split(":", 1)
        new_channel, new_id = new.split(":", 1)
        moved = False
        async with self.write() as s:
            taken = await s.scalar(
                select(ChatLink.id).where(ChatLink.channel == new_channel, ChatLink.chat_id == new_id)
            )
            if taken is None:
                res = await s.execute(
                    update(ChatLink)
                    .where(ChatLink.channel == old_channel, ChatLink.chat_id == old_id)
                    .values(channel=new_channel, chat_id=new_id)
                )
                moved = res.rowcount > 0
            taken_user = await s.scalar(
                select(User.id).where(User.channel == new_channel, User.account_id == new_id)
            )
            if taken_user is None:
                res = await s.execute(
                    update(User)
                    .where(User.channel == old_channel, User.account_id == old_id)
                    .values(channel=new_channel, account_id=new_id)
                )
                moved = moved or res.rowcount > 0
            if moved:
                await _copy_claims(s, old, new)
        return moved


async def _copy_claims(s: AsyncSession, old: str, new: str) -> None:
    """The reminders already claimed for the old address count for the new one too (their keys
    name the recipient), so the moved group is not reminded twice of the same thing. A claim in
    flight (the send that found the move) is copied as delivered: that send goes to the new id."""
    rows = (await s.execute(select(ReminderLog).where(ReminderLog.recipient == old))).scalars().all()
    if not rows:
        return
    keys = {row.key.replace(old, new, 1): row for row in rows}
    existing = set((await s.execute(select(ReminderLog.key).where(ReminderLog.key.in_(keys)))).scalars())
    for key, row in keys.items():
        if key in existing:
            continue
        s.add(
            ReminderLog(
                key=key,
                recipient=new,
                occurrence_id=row.occurrence_id,
                lead=row.lead,
                status="delivered" if row.status == "claimed" else row.status,
                attempts=row.attempts,
                worker=row.worker,
                claimed_at=row.claimed_at,
                finished_at=row.finished_at,
                error=row.error,
            )
        )
