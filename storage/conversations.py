"""What the bot waits for in each chat, stored with an expiry (see `storage.models.ConversationState`):
a restart between a preview and its confirmation loses nothing, and any of several processes
behind one webhook can take the next message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from storage.database import Repository
from storage.models import ConversationState
from storage.rows import aware, utc


def wait_key(account: str) -> str:
    """The key of what the bot waits for from one account (a note, a reason, a date, a name)."""
    return f"wait:{account}"


def buttons_key(chat: str) -> str:
    """The key of the buttons last shown in one chat ("2" presses the second)."""
    return f"buttons:{chat}"


def account_keys(account: str) -> list[str]:
    """The open waits and choices of an account (its private chat is its address): what a
    removal or a demotion ends at once (issue 23)."""
    return [wait_key(account), buttons_key(account)]


class ConversationStore(Repository):
    """One JSON value per conversation key ("wait:telegram:1", "import:ab12cd34"…)."""

    async def conversation(self, key: str, *, now: datetime) -> dict[str, Any] | None:
        """The stored state of one conversation, or None (never set, cleared or expired)."""
        async with self.db.read() as s:
            row = await s.get(ConversationState, key)
            if row is None or aware(row.expires_at) <= utc(now):
                return None
            return dict(row.data)

    async def set_conversation(self, key: str, data: dict[str, Any] | None, *, expires_at: datetime) -> None:
        """Store (or with None, clear) one conversation's state; states expired two days ago go."""
        expires_at = utc(expires_at)
        async with self.db.write() as s:
            row = await s.get(ConversationState, key)
            if data is None:
                if row is not None:
                    await s.delete(row)
                return
            if row is None:
                s.add(ConversationState(key=key, data=data, expires_at=expires_at))
            else:
                row.data, row.expires_at = data, expires_at
            await s.execute(
                delete(ConversationState).where(ConversationState.expires_at < expires_at - timedelta(days=2))
            )
