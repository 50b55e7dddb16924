"""What every channel adapter offers the rest of the program (Telegram, Zalo)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.core.address import Address
from bot.core.replies import Reply
from bot.delivery.ports import DeliveryError, Outbox
from handlers.inbox import WebhookEndpoint

log = logging.getLogger(__name__)


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


class ApiHealth:
    """Whether a channel's Bot API answered lately, for /readyz (never a reason to leave the
    balancer): `ok()` after any answer (a 403 or a 429 is an answer), `failed()` after a network
    error or a 5xx. A state change is logged once, not every failed call."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.state = "unknown"
        self.since: datetime | None = None
        self.error: str | None = None

    def ok(self) -> None:
        if self.state != "ok":
            if self.state == "failing":
                log.warning("%s API answers again", self.channel)
            self.state, self.since, self.error = "ok", datetime.now(UTC), None

    def failed(self, error: str) -> None:
        if self.state != "failing":
            log.warning("%s API not answering: %s", self.channel, error)
            self.state, self.since = "failing", datetime.now(UTC)
        self.error = error[:200]

    def describe(self) -> dict[str, Any]:
        found: dict[str, Any] = {"state": self.state}
        if self.since is not None:
            found["since"] = self.since.isoformat(timespec="seconds")
        if self.error:
            found["error"] = self.error
        return found


class Channel(Protocol):
    """A channel adapter: a `bot.delivery.ports.Sender` that can also start and stop receiving."""

    name: str  # "telegram" | "zalo"
    health: ApiHealth  # whether its API answered lately (/readyz)

    async def start(self) -> None:
        """Begin receiving updates (polling or webhook) in the background; returns once running."""

    async def open_for_sending(self) -> None:
        """Connect for sending only, without receiving updates."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply to a chat (split under the channel's length limit); raise DeliveryError."""

    async def webhook_endpoint(self) -> WebhookEndpoint | None:
        """In webhook mode (and with an inbox given), what the web server serves; else None."""


async def deliver_turn(
    channel: Channel,
    chat_id: str,
    replies: list[Reply],
    outbox: Outbox | None,
    send_here: Callable[[str, Reply, bool], Awaitable[None]] | None = None,
) -> None:
    """Send one turn's replies: to the chat it came from, to another chat of this channel, or to
    another channel through the outbox. A reply that cannot be delivered is logged, not raised,
    so the others still go out. `send_here(chat_id, reply, first)` lets a channel treat the first
    reply in the same chat specially (Telegram answers it as a reply to the user's message)."""
    first = True
    for reply in replies:
        target = reply.to
        try:
            if target is None:
                if send_here is None:
                    await channel.send(chat_id, reply)
                else:
                    await send_here(chat_id, reply, first)
                first = False
            elif target.startswith(f"{channel.name}:"):
                await channel.send(Address(target).id, reply)
            elif outbox is not None and outbox.can_send(target):
                await outbox.send(target, reply)
            else:
                log.warning("no channel to deliver a reply to %s", target)
        except DeliveryError as exc:
            log.warning("reply to %s not delivered: %s", target or f"{channel.name}:{chat_id}", exc)
        except Exception:  # sending is part of the turn's error boundary (issue 23 item 5): the rest go out
            log.exception("reply to %s failed", target or f"{channel.name}:{chat_id}")
