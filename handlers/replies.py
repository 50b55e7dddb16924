"""What handlers take and give: channel adapters (Telegram, Zalo, console) only render these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.text import visible_text


@dataclass(frozen=True)
class Button:
    """An inline choice. `data` is the callback payload (≤ 64 bytes, Telegram's limit).

    The label is cleaned of control, zero-width and right-to-left marks (a plan's title may carry
    them), whatever built it."""

    label: str
    data: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", visible_text(self.label))


@dataclass
class Reply:
    """One message to send.

    `blocks` are pieces of HTML-safe text (user and plan text already escaped with `esc`; only
    <b>, <i>, <code> tags); a long reply is split *between* blocks, never inside one, so a
    task is never cut in two. `to` is None for "answer in the same chat", or "channel:id" for
    another account (e.g. an admin receiving a join request).
    """

    blocks: list[str]
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | None = None
    to: str | None = None
    # A file to send with the text: (file name, content). Channels that take no files (Zalo, the
    # console) send the text only, so the text must stand on its own.
    document: tuple[str, bytes] | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)


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
    def account(self) -> str:
        return f"{self.channel}:{self.account_id}"


MAX_ID = 2**31 - 1  # the databases' INTEGER range (PostgreSQL int4)


def payload_id(text: str) -> int | None:
    """A record id from button data or a typed number: ASCII digits within the database's
    integer range; anything else (a forged payload, a 30-digit number) is None, never an error."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
