"""The command registry's types: what a feature module declares next to its handlers.

- `Command`: a name, its aliases, the least role that may use it, a help line, the handler. The
  router, /help and the per-role command menus (Telegram's setMyCommands) are derived from the
  modules' `COMMANDS`, so a command's name is spelled once (in its module).
- `Payload`: a button's data, built and read by the same object (`DONE.build(7)` → "done:7",
  `DONE.parse("done:7")` → (7,)); the router routes a press by its prefix to the module's handler
  (the modules' `BUTTONS`). Forged or malformed data parse to None, never an error.
- `Wait`: what the bot waits for from an account (one enum, not bare strings).

(Like aiogram's Router per feature with `CallbackData` factories, and python-telegram-bot's
`ConversationHandler` states — in a dozen lines, because handlers here are channel-agnostic.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.core.domain import Role
from bot.core.replies import Reply
from bot.core.text import fold
from handlers.requests import payload_id

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

Handler = Callable[["Turn", "Conversation"], Awaitable[list[Reply]]]
ButtonHandler = Callable[["Turn", "Conversation", str], Awaitable[list[Reply]]]

_RANK = {Role.OFFICER: 0, Role.MANAGER: 1, Role.ADMIN: 2}


class Wait(StrEnum):
    """What the bot waits for from one account (stored by value; the values are the old strings)."""

    JOIN_AGENCY = "join_agency"  # a stranger names their agency
    IMPORT_FACTS = "import_facts"  # an admin corrects a preview's agency / number / year
    IMPORT_MATCH = "import_match"  # an admin names the agency for a name in the plan
    DONE_FILE = "done_file"  # a file sent with /xong waits for its task to be chosen
    DONE_EVIDENCE = "done_evidence"  # an optional note or file after a result
    PROGRESS_NOTE = "progress_note"  # an optional note after "in progress"
    EXT_DATE = "ext_date"  # the new due date (and the reason) of an extension request
    EXT_REASON = "ext_reason"  # the reason, the date having come in the message before
    EXT_REJECT = "ext_reject"  # a manager's reason to reject an extension


@dataclass(frozen=True)
class Command:
    """One chat command. `role` None: anyone, even before joining (/start, /help, /id…)."""

    name: str
    handler: Handler
    help: Callable[[], str] | None = None  # the /help and menu line, in the current language
    aliases: tuple[str, ...] = ()
    role: Role | None = Role.OFFICER

    def allowed_for(self, role: Role) -> bool:
        return self.role is None or _RANK[role] >= _RANK[self.role]


@dataclass(frozen=True)
class Payload:
    """A button's data: `prefix:field:field…` (≤ 64 bytes). `fields` names each part; a name
    ending in "_id" is a record id (ASCII digits in the database's range)."""

    prefix: str
    fields: tuple[str, ...] = ("id",)

    def build(self, *values: int | str) -> str:
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix} takes {self.fields}")
        data = ":".join([self.prefix, *(str(v) for v in values)])
        if len(data.encode()) > 64:
            raise ValueError("button data over 64 bytes")
        return data

    def parse(self, data: str) -> tuple[int | str, ...] | None:
        """The values `build` was given, or None for data this payload did not build."""
        prefix, _sep, rest = data.partition(":")
        if prefix != self.prefix:
            return None
        parts = rest.split(":") if self.fields else []
        if len(parts) != len(self.fields):
            return None
        values: list[int | str] = []
        for name, part in zip(self.fields, parts, strict=True):
            if name == "id" or name.endswith("_id"):
                number = payload_id(part)
                if number is None:
                    return None
                values.append(number)
            else:
                values.append(part)
        return tuple(values)

    def id(self, data: str) -> int | None:
        """The record id of a one-id payload (None when forged)."""
        found = self.parse(data)
        return found[0] if found is not None and isinstance(found[0], int) else None


@dataclass(frozen=True)
class Buttons:
    """A module's buttons: the payload and its handler (given the whole data string)."""

    payload: Payload
    handler: ButtonHandler
    public: bool = False  # pressed before joining (join, approve a join, language)


def menu_for(commands: list[Command], role: Role) -> list[tuple[str, str]]:
    """(name, help line) of the commands `role` may use, in the current language."""
    return [(c.name, c.help()) for c in commands if c.help is not None and c.allowed_for(role)]


_YES = {"co", "dung", "u", "uh", "ok", "oke", "okay", "vang", "duoc", "dong y", "yes", "y", "phai", "dung roi", "co phai"}
_NO = {"khong", "ko", "k", "kg", "sai", "khong phai", "no", "n", "khong dung", "thoi"}


def yes_or_no(text: str) -> bool | None:
    """ "có", "co", "đúng", "ừ", "ok", "vâng", "được" → True; "không", "ko", "sai" → False; anything
    else None. Only meaningful while a proposal is open (the router checks)."""
    words = fold(text).strip(" .!?,").split()
    while len(words) > 1 and words[-1] in ("a", "roi", "nhe", "nha", "ban", "a!"):
        words.pop()  # "có ạ", "đúng rồi", "ok nhé"
    phrase = " ".join(words)
    if phrase in _YES:
        return True
    if phrase in _NO:
        return False
    return None
