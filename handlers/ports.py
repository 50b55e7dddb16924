"""What the channel adapters implement for the handlers: sending a reply, and how a send fails.

The handlers (the reminder tick, the router's replies to other chats) only ever see these; the
adapters in `bot/channels/` implement them, so nothing here imports a channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.replies import Reply


class DeliveryError(Exception):
    """A send that did not go through.

    `blocked`: the account blocked the bot or left (403) — mark it inactive, never retry.
    `retry_after`: the server asked to wait (429) — the caller may try again later.
    `unknown`: the request left but no answer came (a timeout, a connection cut while reading):
    the message may have been delivered — resent at most once, after a pause, never at once.
    Otherwise a transient failure (network, 5xx) that a later tick retries.
    """

    def __init__(
        self, message: str, *, blocked: bool = False, retry_after: float | None = None, unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.blocked = blocked
        self.retry_after = retry_after
        self.unknown = unknown


class Sender(Protocol):
    """A channel as the handlers see it: a name and a way to deliver one reply to one chat."""

    name: str  # "telegram" | "zalo"

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply to a chat (split under the channel's length limit); raise DeliveryError."""


class Outbox:
    """Routes a reply addressed "channel:id" to the sender of that channel."""

    def __init__(self, senders: list[Sender] | None = None) -> None:
        self.channels = {s.name: s for s in senders or ()}

    def add(self, sender: Sender) -> None:
        """Register a channel once it is built (the router is built first: channels need it)."""
        self.channels[sender.name] = sender

    def can_send(self, address: str) -> bool:
        return address.partition(":")[0] in self.channels

    def window(self, seconds: float) -> int:
        """How many messages the slowest configured channel sends in `seconds` (at least 1):
        the reminder tick claims no more than that at a time."""
        rates = [float(getattr(c, "send_rate", 30.0)) for c in self.channels.values()] or [30.0]
        return max(1, int(min(rates) * seconds))

    async def send(self, address: str, reply: Reply) -> None:
        channel, _sep, chat_id = address.partition(":")
        if channel not in self.channels:
            raise DeliveryError(f"no channel {channel!r} configured", blocked=False)
        await self.channels[channel].send(chat_id, reply)


class NotAnUpdate(ValueError):
    """Pushed JSON that is not an update of the channel (the webhook answers 400)."""


@dataclass(frozen=True)
class WebhookEndpoint:
    """What a channel in webhook mode gives the web server (issue 30): where updates are pushed,
    the header carrying the secret, and `accept(update)`, which keeps the update in the inbox —
    True for a new one, False for a repeat; `NotAnUpdate` for JSON that is not an update;
    anything else when it could not be stored (the webhook answers 503, the sender retries)."""

    channel: str
    path: str
    secret_header: str
    secret: str
    accept: Callable[[dict[str, Any]], Awaitable[bool]]
