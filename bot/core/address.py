"""Where a message goes or comes from: an account or a chat on one channel ("telegram:123").

An `Address` is the channel and the id together. It is a `str` (its written form, "channel:id")
on purpose: that form is the key of the delivery log, of conversation rows, of the JSON the
command line prints and of `NHACVIEC_ADMINS`, and stays byte-for-byte what was stored before.
What the type adds is one place that builds it (`Address.of`), one that reads it
(`Address(text)`, which checks it) and its parts (`.channel`, `.id`) — no code splits or
formats "channel:id" by hand.
"""

from __future__ import annotations

CHANNELS = ("telegram", "zalo", "console")


class Address(str):
    """An account or chat address, "channel:id"; a bare id means Telegram (as typed by admins)."""

    __slots__ = ()

    def __new__(cls, text: str) -> Address:
        if isinstance(text, Address):
            return text
        channel, sep, ident = str(text).strip().partition(":")
        if not sep:
            channel, ident = "telegram", channel
        channel, ident = channel.strip().lower(), ident.strip()
        if not channel or not ident:
            raise ValueError("cần dạng kênh:mã, ví dụ telegram:123456 (expected channel:id)")
        return super().__new__(cls, f"{channel}:{ident}")

    @classmethod
    def of(cls, channel: str, ident: str | int) -> Address:
        """The address of `ident` on `channel` (what a channel adapter or a stored row knows)."""
        return cls(f"{channel}:{ident}")

    @property
    def channel(self) -> str:
        return self.partition(":")[0]

    @property
    def id(self) -> str:
        return self.partition(":")[2]
