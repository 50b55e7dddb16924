"""What the bot says: a `Reply` (HTML-safe blocks, buttons, a photo or a file) — a pure value the
handlers and the delivery engine build and the channel adapters (Telegram, Zalo, console) render."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.address import Address
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
    to: Address | None = None
    # A file to send with the text: (file name, content). Channels that take no files (Zalo, the
    # console) send the text only, so the text must stand on its own.
    document: tuple[str, bytes] | None = None
    # The buttons are a proposal: the first says yes, the last no ("có" / "không" typed choose them).
    proposal: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)
