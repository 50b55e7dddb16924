"""Who gets reminders: approved, active accounts of a known agency (an officer: its agency; a
manager or admin: it and every unit under it, and the digest) and the linked group chats."""

from __future__ import annotations

from bot.core.domain import visible_agencies
from bot.core.lang.agencies import Directory
from bot.core.reminders.planner import Recipient
from storage import Storage


async def recipients(storage: Storage, directory: Directory) -> list[Recipient]:
    found: list[Recipient] = []
    for user in await storage.users():
        if not (user.approved and user.active) or user.agency_id is None or user.agency_id not in directory:
            continue
        scope = visible_agencies(user.role, user.agency_id, directory.descendants)
        found.append(
            Recipient(
                address=user.address,
                agency_ids=frozenset(scope),
                remind_days=user.remind_days,
                remind_at=user.remind_at,
                muted_task_ids=frozenset(user.muted),
                language=user.language,
                wants_digest=user.role.oversees_units,
            )
        )
    for link in await storage.chat_links():
        if link.agency_id in directory:
            found.append(Recipient(address=link.address, agency_ids=frozenset(directory.descendants(link.agency_id))))
    return found
