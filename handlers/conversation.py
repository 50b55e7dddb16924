"""One conversation turn, and what the bot remembers between turns of a chat.

`Turn` is the request being handled with who sent it; `Conversation` is what the bot waits for
from each account (an agency name, plan facts), the buttons it last showed in each chat (so a
reply of "2" presses the second one on channels without buttons) and import previews waiting
for Xác nhận. Command modules get both from the router; none of them imports the router.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.core.domain import ParsedPlan
from handlers.context import AppContext
from handlers.ports import DeliveryError, Outbox
from handlers.replies import Button, Reply, Request
from storage.db import UserRecord

PENDING_TTL = 3600.0


@dataclass
class Turn:
    """One request being handled, with who sent it."""

    ctx: AppContext
    req: Request
    user: UserRecord | None
    is_admin: bool
    args: str = ""
    outbox: Outbox | None = None

    async def notify(self, text: str) -> None:
        """Say something in this chat before the answer is ready (a long import's progress); a
        channel that cannot be reached mid-turn (the console) simply shows the answer later."""
        address = f"{self.req.channel}:{self.req.chat_id}"
        if self.outbox is not None and self.outbox.can_send(address):
            try:
                await self.outbox.send(address, Reply([text]))
            except DeliveryError:
                pass

    @property
    def approved(self) -> bool:
        return self.is_admin or bool(self.user and self.user.approved)

    @property
    def language(self) -> str:
        return self.user.language if self.user else "vi"


@dataclass
class ChatState:
    """What the bot waits for from one account, and the buttons it last showed per chat."""

    waiting: dict[str, tuple[str, Any]] = field(default_factory=dict)  # account → (what, data)
    buttons: dict[str, list[Button]] = field(default_factory=dict)  # chat address → flat buttons


@dataclass
class PendingImports:
    """Previews waiting for Xác nhận / Huỷ, by token (kept in memory for an hour)."""

    items: dict[str, tuple[str, ParsedPlan, bytes, float]] = field(default_factory=dict)
    # Corrections typed by the admin: name as written in the plan → the agency it means.
    matches: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, account: str, parsed: ParsedPlan, data: bytes) -> str:
        now = time.monotonic()
        self.items = {k: v for k, v in self.items.items() if now - v[3] < PENDING_TTL}
        token = secrets.token_hex(4)
        self.items[token] = (account, parsed, data, now)
        return token

    def get(self, token: str, account: str) -> ParsedPlan | None:
        item = self.items.get(token)
        if item is None or item[0] != account or time.monotonic() - item[3] > PENDING_TTL:
            return None
        return item[1]

    def replace(self, token: str, parsed: ParsedPlan) -> None:
        account, _old, data, created = self.items[token]
        self.items[token] = (account, parsed, data, created)

    def data(self, token: str) -> bytes:
        return self.items[token][2]

    def pop(self, token: str) -> None:
        self.items.pop(token, None)
        self.matches.pop(token, None)


@dataclass
class Conversation:
    """Everything remembered between turns (kept in memory by this process)."""

    state: ChatState = field(default_factory=ChatState)
    imports: PendingImports = field(default_factory=PendingImports)
