"""What handlers take: one incoming message or button press, as every channel sees it.

(What they give, `Reply`, is a pure value: `bot.core.replies`.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.address import Address


@dataclass
class Request:
    """One incoming message or button press, as every channel sees it."""

    channel: str  # "telegram" | "zalo" | "console"
    account_id: str
    chat_id: str
    text: str = ""
    chat_type: str = "private"  # "private" | "group"
    callback: str | None = None  # payload of a pressed button
    display_name: str = ""
    mentioned: bool = False  # in a group: the bot was @mentioned
    file_name: str | None = None
    file_size: int | None = None
    file_id: str | None = None  # the channel's own reference to the file (Telegram file_id)
    kind: str = "text"  # "text", or what else was sent: "sticker", "photo", "voice", "location"…
    bot_username: str = ""  # the bot's own @name on this channel ("/viec@other_bot" is not ours)
    # Reads the attached file only when called: files of non-admins are never downloaded.
    load_file: Callable[[], Awaitable[bytes]] | None = None

    @property
    def account(self) -> Address:
        return Address.of(self.channel, self.account_id)

    @property
    def chat(self) -> Address:
        """The chat the request came from (a group's, or the private chat's)."""
        return Address.of(self.channel, self.chat_id)


MAX_ID = 2**31 - 1  # the databases' INTEGER range (PostgreSQL int4)


def payload_id(text: str) -> int | None:
    """A record id from button data or a typed number: ASCII digits within the database's
    integer range; anything else (a forged payload, a 30-digit number) is None, never an error."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
