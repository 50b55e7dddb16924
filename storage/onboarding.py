"""Onboarding: invite links (/moi), and a group that moved to a new chat id (a supergroup)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.address import Address
from bot.core.domain import Role
from storage.database import Repository
from storage.models import ChatLink, Invite, ReminderLog, User
from storage.rows import aware, changed_rows
from storage.users import split_account

INVITE_DAYS = 30


@dataclass(frozen=True)
class InviteRecord:
    code: str
    agency_id: int
    role: Role
    auto_approve: bool
    created_by: Address
    expires_at: datetime
    uses: int


def _record(row: Invite) -> InviteRecord:
    return InviteRecord(
        row.code,
        row.agency_id,
        Role(row.role),
        row.auto_approve,
        Address(row.created_by),
        aware(row.expires_at),
        row.uses,
    )


class OnboardingStore(Repository):
    """Invite links and chat moves."""

    async def create_invite(
        self,
        agency_id: int,
        role: Role,
        *,
        auto_approve: bool,
        by: str,
        now: datetime,
        days: int = INVITE_DAYS,
    ) -> InviteRecord:
        """A new invite code (URL-safe, fits Telegram's 64-character /start payload)."""
        code = secrets.token_urlsafe(9)
        row = Invite(
            code=code,
            agency_id=agency_id,
            role=Role(role).value,
            auto_approve=auto_approve,
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=days),
            uses=0,
        )
        async with self.db.write() as s:
            s.add(row)
            await s.flush()
            return _record(row)

    async def invite(self, code: str) -> InviteRecord | None:
        async with self.db.read() as s:
            row = await s.get(Invite, code)
            return _record(row) if row else None

    async def count_invite_use(self, code: str) -> None:
        async with self.db.write() as s:
            await s.execute(update(Invite).where(Invite.code == code).values(uses=Invite.uses + 1))

    async def move_chat(self, old: Address, new: Address) -> bool:
        """A chat got a new id (Telegram: a group upgraded to a supergroup): its link and the
        group's own user row follow it. True when something moved."""
        old_channel, old_id = split_account(old)
        new_channel, new_id = split_account(new)
        moved = False
        async with self.db.write() as s:
            taken = await s.scalar(
                select(ChatLink.id).where(ChatLink.channel == new_channel, ChatLink.chat_id == new_id)
            )
            if taken is None:
                link = update(ChatLink).where(ChatLink.channel == old_channel, ChatLink.chat_id == old_id)
                moved = await changed_rows(s, link.values(channel=new_channel, chat_id=new_id)) > 0
            taken_user = await s.scalar(
                select(User.id).where(User.channel == new_channel, User.account_id == new_id)
            )
            if taken_user is None:
                user = update(User).where(User.channel == old_channel, User.account_id == old_id)
                moved = (
                    await changed_rows(s, user.values(channel=new_channel, account_id=new_id)) > 0 or moved
                )
            if moved:
                await _copy_claims(s, old, new)
        return moved


async def _copy_claims(s: AsyncSession, old: Address, new: Address) -> None:
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
