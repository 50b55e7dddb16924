"""One conversation turn, and what the bot remembers between turns — kept in the database.

`Turn` is the request being handled with who sent it. `Conversation` is what the bot waits for
from each account (an agency name, plan facts, corrections), the buttons it last showed in each
chat (so a reply of "2" presses the second one on channels without buttons) and import previews
waiting for "Xác nhận" with the file they came from — each stored with an expiry through
`Storage.conversation`. So a restart between a preview and its confirmation loses nothing, and
with several `nhacviec run` processes behind one webhook any of them can take the next message.
Command modules get both from the router; none of them imports the router.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.address import Address
from bot.core.domain import ParsedPlan
from bot.core.i18n import _
from bot.core.importing.plan_json import plan_from_json, plan_to_json
from bot.core.replies import Button, Reply
from bot.delivery.ports import DeliveryError, Outbox
from handlers.commands import Command, Payload, Wait
from handlers.context import AppContext
from handlers.requests import Request
from storage import Storage
from storage.conversations import buttons_key, wait_key
from storage.users import UserRecord

WAITING_TTL = timedelta(hours=1)
# A numbered choice is good for CHOICE_TTL after its list was shown, and only until the next
# message or press in that chat (README "Conversations"). The list itself is remembered for
# BUTTONS_TTL so that a late number gets "this list is old", never an action.
CHOICE_TTL = timedelta(minutes=10)
BUTTONS_TTL = timedelta(days=2)
PENDING_TTL = timedelta(hours=1)


@dataclass
class Turn:
    """One request being handled, with who sent it."""

    ctx: AppContext
    req: Request
    user: UserRecord | None
    is_admin: bool
    args: str = ""
    outbox: Outbox | None = None
    command: str | None = None  # the command of this turn (its lists are "/command" to retype)
    confirmed: bool = False  # the action's Có was pressed (`ask_to_confirm`)

    async def notify(self, text: str) -> None:
        """Say something in this chat before the answer is ready (a long import's progress); a
        channel that cannot be reached mid-turn (the console) simply shows the answer later."""
        address = self.req.chat
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


@dataclass(frozen=True)
class Choices:
    """The list of buttons last shown in a chat; `live` while a number may still choose from it."""

    buttons: list[Button]
    prompt: str | None  # the command that showed it ("kehoach"), to type again when it is old
    live: bool
    proposal: bool = False  # first button yes, last no


class ChatState:
    """What the bot waits for from one account, and the buttons it last showed per chat."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage, self.clock = storage, clock

    async def waiting(self, account: Address) -> tuple[Wait, Any] | None:
        found = await self.storage.conversation(wait_key(account), now=self.clock())
        if not found:
            return None
        try:
            return Wait(found["what"]), found.get("data")
        except ValueError:  # a wait this code no longer has
            return None

    async def wait_for(self, account: Address, what: Wait, data: Any = None) -> None:
        await self.storage.set_conversation(
            wait_key(account), {"what": what, "data": data}, expires_at=self.clock() + WAITING_TTL
        )

    async def stop_waiting(self, account: Address) -> None:
        await self.storage.set_conversation(wait_key(account), None, expires_at=self.clock())

    async def rejected_until(self, account: Address) -> datetime | None:
        """When an account whose join request was rejected may ask again (None: it may now)."""
        found = await self.storage.conversation(f"rejected:{account}", now=self.clock())
        return datetime.fromisoformat(found["until"]) if found else None

    async def rejected(self, account: Address, cooldown: timedelta) -> None:
        until = self.clock() + cooldown
        await self.storage.set_conversation(f"rejected:{account}", {"until": until.isoformat()}, expires_at=until)

    async def remember(self, key: str, value: dict[str, Any], ttl: timedelta) -> None:
        await self.storage.set_conversation(key, value, expires_at=self.clock() + ttl)

    async def recall(self, key: str) -> dict[str, Any] | None:
        return await self.storage.conversation(key, now=self.clock())

    async def forget(self, key: str) -> None:
        await self.storage.set_conversation(key, None, expires_at=self.clock())

    async def choices(self, chat: Address) -> Choices | None:
        """The list last shown in `chat` (live or not), None when none was shown for days."""
        found = await self.storage.conversation(buttons_key(chat), now=self.clock())
        if not found:
            return None
        until = datetime.fromisoformat(found["until"]) if found.get("until") else self.clock()
        return Choices(
            [Button(label, data) for label, data in found["buttons"]],
            found.get("prompt"),
            live=self.clock() < until,
            proposal=bool(found.get("proposal")),
        )

    async def buttons(self, chat: Address) -> list[Button] | None:
        """The buttons a number chooses from now: the latest list, while it is live."""
        found = await self.choices(chat)
        return found.buttons if found is not None and found.live else None

    async def show_buttons(
        self, chat: Address, buttons: list[Button], *, prompt: str | None = None, proposal: bool = False
    ) -> None:
        """`buttons` are now the list "1", "2" choose from in `chat`, for CHOICE_TTL; `prompt`
        names the command to type again once it is old."""
        await self.storage.set_conversation(
            buttons_key(chat),
            {
                "buttons": [[b.label, b.data] for b in buttons],
                "prompt": prompt,
                "proposal": proposal,
                "until": (self.clock() + CHOICE_TTL).isoformat(),
            },
            expires_at=self.clock() + BUTTONS_TTL,
        )

    async def void_choices(self, chat: Address) -> None:
        """Another message or press came: the list shown before no longer answers a number."""
        found = await self.storage.conversation(buttons_key(chat), now=self.clock())
        if found and (not found.get("until") or datetime.fromisoformat(found["until"]) > self.clock()):
            found["until"] = self.clock().isoformat()
            await self.storage.set_conversation(buttons_key(chat), found, expires_at=self.clock() + BUTTONS_TTL)


class PendingImports:
    """Previews waiting for Xác nhận / Huỷ, by token, with the file they came from (an hour)."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage, self.clock = storage, clock

    async def add(self, account: Address, parsed: ParsedPlan, data: bytes) -> str:
        token = secrets.token_hex(4)
        await self._store(token, account, parsed, data)
        return token

    async def _store(
        self, token: str, account: Address, parsed: ParsedPlan, data: bytes, matches: dict[str, str] | None = None
    ) -> None:
        await self.storage.set_conversation(
            f"import:{token}",
            {
                "account": account,
                "plan": plan_to_json(parsed),
                "file": base64.b64encode(data).decode("ascii"),
                "matches": dict(matches or {}),
            },
            expires_at=self.clock() + PENDING_TTL,
        )

    async def _load(self, token: str) -> dict[str, Any] | None:
        return await self.storage.conversation(f"import:{token}", now=self.clock())

    async def get(self, token: str, account: Address) -> ParsedPlan | None:
        found = await self._load(token)
        if found is None or found["account"] != account:
            return None
        return plan_from_json(found["plan"])

    async def replace(self, token: str, parsed: ParsedPlan) -> None:
        found = await self._load(token)
        if found is not None:
            await self._store(
                token, found["account"], parsed, base64.b64decode(found["file"]), found.get("matches")
            )

    async def data(self, token: str) -> bytes:
        found = await self._load(token)
        return base64.b64decode(found["file"]) if found else b""

    async def pop(self, token: str) -> None:
        await self.storage.set_conversation(f"import:{token}", None, expires_at=self.clock())

    async def matches(self, token: str) -> dict[str, str]:
        """The admin's corrections for this preview: name as written in the plan → the agency."""
        found = await self._load(token)
        return dict(found.get("matches") or {}) if found else {}

    async def set_matches(self, token: str, matches: dict[str, str]) -> None:
        found = await self._load(token)
        if found is not None:
            found["matches"] = dict(matches)
            await self.storage.set_conversation(f"import:{token}", found, expires_at=self.clock() + PENDING_TTL)


@dataclass
class Conversation:
    """Everything remembered between turns, in the database."""

    state: ChatState
    imports: PendingImports

    @classmethod
    def of(cls, storage: Storage, clock: Callable[[], datetime]) -> Conversation:
        return cls(ChatState(storage, clock), PendingImports(storage, clock))


async def cancel(turn: Turn, conv: Conversation) -> list[Reply]:
    """/huy: end whatever the bot waits for from this account."""
    await conv.state.stop_waiting(turn.req.account)
    return [Reply([_("Đã huỷ.")])]


COMMANDS = (Command("huy", cancel, None, ("cancel",), None),)


# -- confirmations ------------------------------------------------------------------------------

CONFIRM = Payload("cf", ("answer", "token"))  # answer "y" / "n"; pressed: handled by the router


async def ask_to_confirm(turn: Turn, conv: Conversation, summary: str, data: str) -> list[Reply]:
    """A destructive or wide step: one line saying what will happen, and Có / Không. Có runs the
    button `data` again with `turn.confirmed` (the handler checks the current state then); the
    question is good for CHOICE_TTL and only for the account that asked."""
    token = secrets.token_hex(4)
    await conv.state.remember(f"confirm:{token}", {"account": turn.req.account, "data": data}, CHOICE_TTL)
    return [
        Reply(
            [summary],
            buttons=[[Button(_("Có"), CONFIRM.build("y", token)), Button(_("Không"), CONFIRM.build("n", token))]],
            proposal=True,
        )
    ]


async def confirmed_action(turn: Turn, conv: Conversation, rest: str) -> tuple[bool, str] | None:
    """(yes?, the data to run) of a confirmation this account was asked, once; None when it is
    old, someone else's or forged."""
    answer, _sep, token = rest.partition(":")
    if answer not in ("y", "n") or not token.isascii() or not token.isalnum():
        return None
    found = await conv.state.recall(f"confirm:{token}")
    if not found or found.get("account") != turn.req.account:
        return None
    await conv.state.forget(f"confirm:{token}")
    return answer == "y", str(found["data"])
