"""What the channel adapters implement for the delivery engine and the handlers: sending a reply,
and how a send fails. The adapters in `bot/channels/` implement these; nothing here imports a
channel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.core.address import Address
from bot.core.replies import Reply

SEND_RATE = 30.0  # messages a second a channel that names no rate is assumed to take


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
    """A channel as the rest of the program sees it: a name and a way to deliver one reply to one chat."""

    name: str  # "telegram" | "zalo"

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply to a chat (split under the channel's length limit); raise DeliveryError."""


class Dispatch(Protocol):
    """What the delivery engine sends through: an `Outbox` (tests use stand-ins)."""

    def can_send(self, address: Address) -> bool:
        """Whether a channel of this process serves "channel:id"."""

    def window(self, seconds: float) -> int:
        """How many messages go out in `seconds` (at least 1): the tick claims no more at a time."""

    async def send(self, address: Address, reply: Reply) -> None:
        """Deliver one reply to "channel:id"; raise DeliveryError."""


class Outbox:
    """Routes a reply addressed "channel:id" to the sender of that channel."""

    def __init__(self, senders: Iterable[Sender] = ()) -> None:
        self.channels = {s.name: s for s in senders}

    def add(self, sender: Sender) -> None:
        """Register a channel once it is built (the router is built first: channels need it)."""
        self.channels[sender.name] = sender

    def can_send(self, address: Address) -> bool:
        return Address(address).channel in self.channels

    def window(self, seconds: float) -> int:
        """How many messages the slowest configured channel sends in `seconds` (at least 1):
        the reminder tick claims no more than that at a time."""
        rates = [float(getattr(c, "send_rate", SEND_RATE)) for c in self.channels.values()] or [SEND_RATE]
        return max(1, int(min(rates) * seconds))

    async def send(self, address: Address, reply: Reply) -> None:
        channel, chat_id = Address(address).channel, Address(address).id
        if channel not in self.channels:
            raise DeliveryError(f"no channel {channel!r} configured", blocked=False)
        await self.channels[channel].send(chat_id, reply)
