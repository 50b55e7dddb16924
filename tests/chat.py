"""Drive conversations in process: requests straight into the Router, replies read back as text.

Like Errbot's test backend: no HTTP, no channel — the channel-agnostic handlers are what most
conversation tests are about. The end-to-end tests through python-telegram-bot and the Zalo
client against the stand-in servers keep the channels honest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.core.importing.options import ImportOptions
from bot.core.markup import plain_text
from bot.core.replies import Reply
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from handlers.requests import Request
from handlers.router import Router
from storage import Storage


@dataclass
class Chat:
    """One test's bot: `say` as an account, read what came back."""

    router: Router
    ctx: AppContext
    sent: list[tuple[str, Reply]] = field(default_factory=list)  # (address, reply), in order

    async def say(
        self,
        text: str = "",
        *,
        account: str = "telegram:1",
        chat_type: str = "private",
        callback: str | None = None,
        chat_id: str | None = None,
        kind: str = "text",
    ) -> list[str]:
        """The plain texts of the replies to this message (replies to other accounts go to `sent`)."""
        channel, _sep, account_id = account.partition(":")
        req = Request(
            channel=channel,
            account_id=account_id,
            chat_id=chat_id or account_id,
            text=text,
            chat_type=chat_type,
            callback=callback,
            kind=kind,
        )
        replies = await self.router.handle(req)
        here = []
        for reply in replies:
            self.sent.append((reply.to or account, reply))
            if reply.to is None:
                here.append(plain_text(reply.text))
        return here

    async def press(self, label_part: str, *, account: str = "telegram:1") -> list[str]:
        """Press the button (shown to `account` last) whose label contains `label_part`; "2."
        presses the second button of the last reply with buttons (labels carry no numbers)."""
        if label_part.rstrip(".").isdigit() and label_part.endswith("."):
            for address, reply in reversed(self.sent):
                if address == account and reply.buttons:
                    flat = [b for row in reply.buttons for b in row]
                    return await self.say(account=account, callback=flat[int(label_part[:-1]) - 1].data)
        for address, reply in reversed(self.sent):
            if address != account:
                continue
            for row in reply.buttons:
                for button in row:
                    if label_part in button.label:
                        return await self.say(account=account, callback=button.data)
        raise AssertionError(f"no button {label_part!r} shown to {account}")

    async def load(self, plan: Path) -> None:
        parsed = await parse_file(self.ctx, plan.read_bytes(), plan.name)
        await save_parsed(self.ctx, parsed, ImportOptions(today=self.ctx.today()))


async def open_chat(db_url: str, *, now: datetime, **settings: object) -> AsyncIterator[Chat]:
    storage = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=storage, settings=Settings(**settings), clock=lambda: now)  # type: ignore[arg-type]
        yield Chat(Router(ctx), ctx)
    finally:
        await storage.close()
