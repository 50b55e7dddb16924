"""What every channel adapter offers the rest of the program (Telegram, Zalo)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from handlers.replies import Reply


class ChatLocks:
    """One asyncio.Lock per chat, dropped once nobody holds or waits for it: a chat's messages are
    handled in order while different chats run concurrently."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class DeliveryError(Exception):
    """A send that did not go through.

    `blocked`: the account blocked the bot or left (403) — mark it inactive, never retry.
    `retry_after`: the server asked to wait (429) — the caller may try again later.
    Otherwise a transient failure (network, 5xx) that a later tick retries.
    """

    def __init__(self, message: str, *, blocked: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.blocked = blocked
        self.retry_after = retry_after


class Channel(Protocol):
    name: str  # "telegram" | "zalo"

    async def start(self) -> None:
        """Begin receiving updates (polling or webhook) in the background; returns once running."""

    async def open_for_sending(self) -> None:
        """Connect for sending only, without receiving updates."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply to a chat (split under the channel's length limit); raise DeliveryError."""


class Outbox:
    """Routes a reply addressed "channel:id" to the right adapter."""

    def __init__(self, channels: list[Channel]) -> None:
        self.channels = {c.name: c for c in channels}

    def can_send(self, address: str) -> bool:
        return address.partition(":")[0] in self.channels

    async def send(self, address: str, reply: Reply) -> None:
        channel, _sep, chat_id = address.partition(":")
        if channel not in self.channels:
            raise DeliveryError(f"no channel {channel!r} configured", blocked=False)
        await self.channels[channel].send(chat_id, reply)
