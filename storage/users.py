"""Accounts ("telegram:123") with their agency, role and reminder preferences; group chats linked
to an agency (/lienket). An account or group that blocked the bot is deactivated, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.address import Address
from bot.core.domain import Role
from bot.core.reminders.times import format_days, format_hhmm, parse_days, parse_hhmm
from storage.conversations import account_keys
from storage.database import Repository
from storage.models import ChatLink, ConversationState, User
from storage.rows import changed_rows, utcnow


@dataclass(frozen=True)
class UserRecord:
    id: int
    channel: str
    account_id: str
    name: str
    agency_id: int | None
    role: Role
    language: str
    approved: bool
    active: bool
    # Per-user /nhacnho overrides (None: the deployment's default), parsed once when read.
    remind_days: tuple[int, ...] | None = None
    remind_at: time | None = None
    muted: tuple[int, ...] = ()
    digest: str | None = None  # daily | weekly | off (None: daily)

    @property
    def address(self) -> Address:
        return Address.of(self.channel, self.account_id)


@dataclass(frozen=True)
class ChatLinkRecord:
    channel: str
    chat_id: str
    agency_id: int

    @property
    def address(self) -> Address:
        return Address.of(self.channel, self.chat_id)


def split_account(address: str) -> tuple[str, str]:
    """An address's (channel, id) as the tables store them; a bare id means Telegram."""
    parsed = Address(address)
    return parsed.channel, parsed.id


class UserStore(Repository):
    """Accounts and linked group chats."""

    async def upsert_user(
        self,
        address: Address,
        *,
        agency_id: int | None = None,
        role: Role | None = None,
        approved: bool | None = None,
        name: str | None = None,
        language: str | None = None,
        active: bool | None = None,
    ) -> UserRecord:
        """The account, created (an officer, not approved) when new; each value given replaces its own."""
        channel, account = split_account(address)
        async with self.db.write() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            if user is None:
                user = User(channel=channel, account_id=account, created_at=utcnow(), muted=[])
                user.role, user.language, user.approved, user.active, user.name = (
                    Role.OFFICER.value,
                    "vi",
                    False,
                    True,
                    "",
                )
                s.add(user)
            before = (_role(user.role), bool(user.approved), user.agency_id)
            if agency_id is not None:
                user.agency_id = agency_id
            if role is not None:
                user.role = Role(role).value
            if approved is not None:
                user.approved = approved
            if _lost_rights(before, (_role(user.role), bool(user.approved), user.agency_id)):
                await _end_conversations(s, address)
            if name is not None:
                user.name = name
            if language is not None:
                user.language = language
            if active is not None:
                user.active = active
            await s.flush()
            return _user_record(user)

    async def user(self, address: Address) -> UserRecord | None:
        channel, account = split_account(address)
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            return _user_record(user) if user else None

    async def users(self) -> list[UserRecord]:
        async with self.db.read() as s:
            return [_user_record(u) for u in (await s.execute(select(User).order_by(User.id))).scalars()]

    async def remove_user(self, address: Address) -> bool:
        channel, account = split_account(address)
        async with self.db.write() as s:
            await _end_conversations(s, address)  # its open waits and choices end with it
            return (
                await changed_rows(s, delete(User).where(User.channel == channel, User.account_id == account))
                > 0
            )

    async def set_reminder_prefs(
        self,
        address: Address,
        *,
        remind_days: Sequence[int] | None = None,
        remind_at: time | None = None,
        muted: Sequence[int] | None = None,
        reset: bool = False,
    ) -> None:
        """/nhacnho: days before a due date, the hour, muted task ids; `reset` back to the defaults."""
        channel, account = split_account(address)
        async with self.db.write() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            if user is None:
                return
            if reset:
                user.remind_days, user.remind_at, user.muted = None, None, []
            if remind_days is not None:
                user.remind_days = format_days(tuple(remind_days))
            if remind_at is not None:
                user.remind_at = format_hhmm(remind_at)
            if muted is not None:
                user.muted = sorted(set(muted))

    async def link_chat(self, address: Address, agency_id: int, *, by: str) -> None:
        channel, chat_id = split_account(address)
        async with self.db.write() as s:
            link = await s.scalar(
                select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_id == chat_id)
            )
            if link is None:
                link = ChatLink(channel=channel, chat_id=chat_id, created_at=utcnow())
                s.add(link)
            link.agency_id, link.linked_by, link.active = agency_id, by, True

    async def chat_links(self) -> list[ChatLinkRecord]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(ChatLink.channel, ChatLink.chat_id, ChatLink.agency_id).where(
                    ChatLink.active.is_(True)
                )
            )
            return [ChatLinkRecord(channel, chat_id, agency_id) for channel, chat_id, agency_id in rows]

    async def deactivate(self, address: Address) -> None:
        """An account or group that blocked the bot (403): stop sending to it."""
        channel, account = split_account(address)
        async with self.db.write() as s:
            await s.execute(
                update(User).where(User.channel == channel, User.account_id == account).values(active=False)
            )
            await s.execute(
                update(ChatLink)
                .where(ChatLink.channel == channel, ChatLink.chat_id == account)
                .values(active=False)
            )


_RANK = {Role.OFFICER: 0, Role.MANAGER: 1, Role.ADMIN: 2}


def _lost_rights(before: tuple[Role, bool, int | None], after: tuple[Role, bool, int | None]) -> bool:
    """An approved account demoted, unapproved or moved to another agency."""
    (role, approved, agency), (new_role, new_approved, new_agency) = before, after
    if not approved:
        return False
    return not new_approved or _RANK[new_role] < _RANK[role] or new_agency != agency


async def _end_conversations(s: AsyncSession, address: Address) -> None:
    """A removed or demoted account's open waits and choices end at once (issue 23)."""
    await s.execute(delete(ConversationState).where(ConversationState.key.in_(account_keys(Address(address)))))


def _role(value: str) -> Role:
    """A stored role; one this version does not know (written by a newer one) is an officer's."""
    try:
        return Role(value)
    except ValueError:
        return Role.OFFICER


def _days(value: str | None) -> tuple[int, ...] | None:
    """Stored lead days; empty or no longer parsing means the default (None)."""
    try:
        return (parse_days(value) or None) if value else None
    except ValueError:
        return None


def _hour(value: str | None) -> time | None:
    """A stored /nhacnho hour; a value that no longer parses means the default (None)."""
    try:
        return parse_hhmm(value) if value else None
    except ValueError:
        return None


def _user_record(u: User) -> UserRecord:
    return UserRecord(
        id=u.id,
        channel=u.channel,
        account_id=u.account_id,
        name=u.name or "",
        agency_id=u.agency_id,
        role=_role(u.role),
        language=u.language or "vi",
        approved=bool(u.approved),
        active=bool(u.active),
        remind_days=_days(u.remind_days),
        remind_at=_hour(u.remind_at),
        muted=tuple(u.muted or ()),
        digest=u.digest,
    )
