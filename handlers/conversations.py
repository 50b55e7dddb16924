"""Conversation state kept in the database (issue 15), not in one process's memory.

What the bot waits for from an account (an agency name, an /import file, plan facts), the buttons
it last showed in a chat (so "2" means the second one), and import previews waiting for
"Xác nhận" — each stored with an expiry through `Storage.conversation`. So a restart between a
preview and its confirmation loses nothing, and with several `nhacviec run` processes behind one
webhook any of them can take the next message of a conversation.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain import Kind, ParsedPlan, ParsedTask
from handlers.replies import Button
from storage import Storage

WAITING_TTL = timedelta(hours=1)
BUTTONS_TTL = timedelta(days=2)
PENDING_TTL = timedelta(hours=1)


class ChatState:
    """What the bot waits for from one account, and the buttons it last showed per chat."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage, self.clock = storage, clock

    async def waiting(self, account: str) -> tuple[str, Any] | None:
        found = await self.storage.conversation(f"wait:{account}", now=self.clock())
        return (found["what"], found.get("data")) if found else None

    async def wait_for(self, account: str, what: str, data: Any = None) -> None:
        await self.storage.set_conversation(
            f"wait:{account}", {"what": what, "data": data}, expires_at=self.clock() + WAITING_TTL
        )

    async def stop_waiting(self, account: str) -> None:
        await self.storage.set_conversation(f"wait:{account}", None, expires_at=self.clock())

    async def buttons(self, chat: str) -> list[Button] | None:
        found = await self.storage.conversation(f"buttons:{chat}", now=self.clock())
        return [Button(label, data) for label, data in found["buttons"]] if found else None

    async def show_buttons(self, chat: str, buttons: list[Button]) -> None:
        await self.storage.set_conversation(
            f"buttons:{chat}",
            {"buttons": [[b.label, b.data] for b in buttons]},
            expires_at=self.clock() + BUTTONS_TTL,
        )


class PendingImports:
    """Previews waiting for Xác nhận / Huỷ, by token, with the file they came from (an hour)."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage, self.clock = storage, clock

    async def add(self, account: str, parsed: ParsedPlan, data: bytes) -> str:
        token = secrets.token_hex(4)
        await self._store(token, account, parsed, data)
        return token

    async def _store(self, token: str, account: str, parsed: ParsedPlan, data: bytes) -> None:
        await self.storage.set_conversation(
            f"import:{token}",
            {
                "account": account,
                "plan": plan_to_json(parsed),
                "file": base64.b64encode(data).decode("ascii"),
            },
            expires_at=self.clock() + PENDING_TTL,
        )

    async def _load(self, token: str) -> dict[str, Any] | None:
        return await self.storage.conversation(f"import:{token}", now=self.clock())

    async def get(self, token: str, account: str) -> ParsedPlan | None:
        found = await self._load(token)
        if found is None or found["account"] != account:
            return None
        return plan_from_json(found["plan"])

    async def replace(self, token: str, parsed: ParsedPlan) -> None:
        found = await self._load(token)
        if found is not None:
            await self._store(token, found["account"], parsed, base64.b64decode(found["file"]))

    async def data(self, token: str) -> bytes:
        found = await self._load(token)
        return base64.b64decode(found["file"]) if found else b""

    async def pop(self, token: str) -> None:
        await self.storage.set_conversation(f"import:{token}", None, expires_at=self.clock())


def plan_to_json(plan: ParsedPlan) -> dict[str, Any]:
    return {
        "tasks": [
            {
                "title": t.title,
                "lead": t.lead,
                "partners": t.partners,
                "deadline": t.deadline,
                "kind": t.kind.value,
                "dates": [d.isoformat() for d in t.dates],
                "activity": t.activity,
                "output": t.output,
                "note": t.note,
                "number": t.number,
                "source": t.source,
            }
            for t in plan.tasks
        ],
        "issuer": plan.issuer,
        "number": plan.number,
        "date": plan.date.isoformat() if plan.date else None,
        "year": plan.year,
        "title": plan.title,
        "source_file": plan.source_file,
        "source_hash": plan.source_hash,
        "warnings": list(plan.warnings),
        "errors": list(plan.errors),
    }


def plan_from_json(value: dict[str, Any]) -> ParsedPlan:
    tasks = [
        ParsedTask(
            **{
                **t,
                "kind": Kind(t["kind"]),
                "dates": [date.fromisoformat(d) for d in t["dates"]],
            }
        )
        for t in value["tasks"]
    ]
    return ParsedPlan(
        tasks=tasks,
        issuer=value["issuer"],
        number=value["number"],
        date=date.fromisoformat(value["date"]) if value["date"] else None,
        year=value["year"],
        title=value["title"],
        source_file=value["source_file"],
        source_hash=value["source_hash"],
        warnings=list(value["warnings"]),
        errors=list(value["errors"]),
    )
