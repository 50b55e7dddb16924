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
