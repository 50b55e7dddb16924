"""The dashboard's logins: single-use links and browser sessions (issue 29).

A repository of its own over the shared engine and session policy (`Storage.web`), so the web
floor's tables stay apart from the tasks' and the delivery log's.

- A **link** (`/web` in chat, `nhacviec web link`) is a random token valid `LINK_TTL` (10 minutes)
  and usable once: redeeming it marks it used and opens a session in the same transaction, so two
  browsers racing for one link get one session between them.
- A **session** is another random token, kept in an HttpOnly cookie, valid `SESSION_TTL` (12 hours
  from login, not sliding); logging out deletes it.
- Only SHA-256 digests of the tokens are stored: a copy of the database opens no dashboard.
  Expired rows are swept whenever a link is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Index, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.address import Address
from storage.models import Base
from storage.rows import changed_rows
from storage.types import UTCDateTime

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)


class WebLink(Base):
    """A single-use login link, by the digest of its token."""

    __tablename__ = "web_links"
    __table_args__ = (Index("ix_web_links_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebSession(Base):
    """A logged-in browser, by the digest of its cookie."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class WebSessionRecord:
    address: Address
    expires_at: datetime


@dataclass(frozen=True)
class Redeemed:
    """A link that was just used: the new session's token (for the cookie) and whose it is."""

    session_token: str
    address: Address
    expires_at: datetime


@dataclass(frozen=True)
class LinkState:
    """Why a link cannot be used (shown as a sentence): unknown, used, or expired."""

    known: bool
    used: bool
    expired: bool


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _utc(value: datetime) -> datetime:
    """Stored times are UTC; SQLite gives them back naive."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


class WebLogins:
    """Links and sessions. `sessions` reads; `write()` is the façade's one write transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write: Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]],
    ) -> None:
        self._sessions = sessions
        self._write = write

    async def create_link(self, address: Address, *, now: datetime, ttl: timedelta = LINK_TTL) -> str:
        """A new link token for `address` (URL-safe, 43 characters); old rows are swept."""
        token = secrets.token_urlsafe(32)
        now = _utc(now)
        async with self._write() as s:
            await s.execute(delete(WebLink).where(WebLink.expires_at < now - ttl))
            await s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.add(WebLink(token_hash=digest(token), address=address, created_at=now, expires_at=now + ttl))
        return token

    async def link_state(self, token: str, *, now: datetime) -> LinkState:
        async with self._sessions() as s:
            row = await s.get(WebLink, digest(token))
        if row is None:
            return LinkState(known=False, used=False, expired=False)
        return LinkState(known=True, used=row.used_at is not None, expired=_utc(row.expires_at) <= _utc(now))

    async def redeem(self, token: str, *, now: datetime, ttl: timedelta = SESSION_TTL) -> Redeemed | None:
        """Use a link once: a session for its account, or None (unknown, used or expired)."""
        now = _utc(now)
        key = digest(token)
        async with self._write() as s:
            use = (
                update(WebLink)
                .where(WebLink.token_hash == key, WebLink.used_at.is_(None), WebLink.expires_at > now)
                .values(used_at=now)
            )
            if await changed_rows(s, use) != 1:
                return None
            address = await s.scalar(select(WebLink.address).where(WebLink.token_hash == key))
            if address is None:
                return None
            session_token = secrets.token_urlsafe(32)
            s.add(WebSession(token_hash=digest(session_token), address=address, created_at=now, expires_at=now + ttl))
        return Redeemed(session_token, Address(address), now + ttl)

    async def session(self, token: str, *, now: datetime) -> WebSessionRecord | None:
        """The live session of a cookie, or None (unknown, logged out or expired)."""
        async with self._sessions() as s:
            row = await s.get(WebSession, digest(token))
        if row is None or _utc(row.expires_at) <= _utc(now):
            return None
        return WebSessionRecord(Address(row.address), _utc(row.expires_at))

    async def end_session(self, token: str) -> bool:
        async with self._write() as s:
            return await changed_rows(s, delete(WebSession).where(WebSession.token_hash == digest(token))) > 0

    async def end_sessions_of(self, address: Address) -> int:
        """Every browser of an account logs out (its access was removed)."""
        async with self._write() as s:
            return await changed_rows(s, delete(WebSession).where(WebSession.address == address))
