"""What a tick and a digest run report, as typed values; `to_json()` is what `nhacviec remind
--json` and `nhacviec digest --json` print (README "Command line")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.address import Address
from bot.core.i18n import use_language
from bot.core.markup import plain_text
from bot.core.reminders.messages import reminder_blocks
from bot.core.reminders.planner import Delivery, PlannedReminder

Json = dict[str, object]


@dataclass(frozen=True)
class ReminderItem:
    """One task in a reminder message."""

    task: str
    lead: str
    due: date
    lead_time: str  # "d7", "d3", "d1", "d0", "nag1"…
    days_left: int
    scheduled_at: datetime

    @classmethod
    def of(cls, r: PlannedReminder) -> ReminderItem:
        return cls(r.task.title, r.task.lead, r.due, r.lead, r.days_left, r.scheduled_at)

    def to_json(self) -> Json:
        return {
            "task": self.task,
            "lead": self.lead,
            "due": self.due.isoformat(),
            "lead_time": self.lead_time,
            "days_left": self.days_left,
            "scheduled_at": self.scheduled_at.isoformat(),
        }


@dataclass(frozen=True)
class ReminderMessage:
    """One message of a tick: to whom, which claim keys, its tasks and its text (plain)."""

    to: Address
    catchup: bool
    keys: list[str]
    items: list[ReminderItem]
    text: str

    @classmethod
    def of(cls, delivery: Delivery, today: date, language: str) -> ReminderMessage:
        """`today` is the deployment's local date."""
        with use_language(language):
            text = plain_text("\n".join(reminder_blocks(delivery, today)))
        items = [ReminderItem.of(r) for r in delivery.reminders]
        return cls(delivery.recipient, delivery.is_catchup, delivery.keys, items, text)

    def to_json(self) -> Json:
        return {
            "to": self.to,
            "catchup": self.catchup,
            "keys": self.keys,
            "items": [item.to_json() for item in self.items],
            "text": self.text,
        }


@dataclass
class TickReport:
    """What one tick claimed and how its sends went (a dry run only lists what it would send)."""

    now: datetime
    dry_run: bool = False
    reminders: list[ReminderMessage] = field(default_factory=list)
    claimed: int = 0
    sent: int = 0
    failed: int = 0

    def to_json(self) -> Json:
        out: Json = {"now": self.now.isoformat(), "reminders": [r.to_json() for r in self.reminders]}
        out["claimed"] = self.claimed
        if not self.dry_run:
            out.update(sent=self.sent, failed=self.failed)
        return out


@dataclass(frozen=True)
class AgencyDigest:
    """One agency's digest: its figures (`bot.core.reminders.digest.digest_json`) and its text."""

    agency: str
    figures: Json
    reply: str  # the digest as plain text

    def to_json(self) -> Json:
        return {**self.figures, "agency": self.agency, "reply": self.reply}


@dataclass(frozen=True)
class DigestReport:
    """`nhacviec digest`: the one agency asked for, or every top-level agency (`single` False)."""

    today: date
    agencies: list[AgencyDigest]
    single: bool

    @property
    def reply_text(self) -> str:
        return "\n\n".join(a.reply for a in self.agencies)

    def to_json(self) -> Json:
        if self.single:
            out = self.agencies[0].to_json()
        else:
            out = {"today": self.today.isoformat(), "agencies": [a.to_json() for a in self.agencies]}
        out["reply_text"] = self.reply_text
        return out
