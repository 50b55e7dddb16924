"""Plain values shared by the pure language/logic code, the importers and storage.

They carry no I/O so the grammar, the importers and the planners can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    """How a deadline phrase schedules a task (DESIGN.md, "Deadline phrases")."""

    ONCE = "once"
    RECURRING = "recurring"
    CONTINUOUS = "continuous"
    UNSPECIFIED = "unspecified"


class Role(StrEnum):
    """What an account may do. One rule for what it sees: `visible_agencies`."""

    OFFICER = "officer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role as said to a person: "cán bộ", "lãnh đạo", "quản trị viên" (translated)."""
        from bot.core.i18n import _

        return {Role.OFFICER: _("cán bộ"), Role.MANAGER: _("lãnh đạo"), Role.ADMIN: _("quản trị viên")}[self]

    @property
    def oversees_units(self) -> bool:
        """Managers and admins answer for their agency and every unit under it (and get the digest)."""
        return self is not Role.OFFICER


def visible_agencies(role: Role, agency_id: int, units_of: Callable[[int], set[int]]) -> set[int]:
    """The agencies an account works for: its own, and for a manager/admin the units under it too
    (`units_of(id)` is the agency with everything below it, e.g. `Directory.descendants`)."""
    return units_of(agency_id) if role.oversees_units else {agency_id}


class OccurrenceStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True)
class Deadline:
    """A deadline phrase understood: its kind and its due dates (sorted, unique)."""

    text: str
    kind: Kind
    dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class ParsedTask:
    """One task as read from a plan, before it touches the database.

    `lead` and `partners` are the names as written (NFC); storage resolves them to agencies.
    `source` says where the task was found ("dòng 12", "bảng 2, hàng 5") for the preview.
    Immutable: a step that changes a task returns a new one (`dataclasses.replace`).
    """

    title: str
    lead: str = ""
    partners: str = ""
    deadline: str = ""
    kind: Kind = Kind.UNSPECIFIED
    dates: tuple[date, ...] = ()
    activity: str = ""
    output: str = ""
    note: str = ""
    number: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        # dates given as a list (tests, callers building by hand) are kept as a tuple
        object.__setattr__(self, "dates", tuple(self.dates))


@dataclass(frozen=True)
class ParsedPlan:
    """A whole plan read from a file: its facts, its tasks, and what the reader noticed.

    Immutable: each step of an import (the admin's facts, the period's bounds, the issuer's name
    in the directory) returns a new plan. One JSON shape: `bot.core.importing.plan_json`.
    """

    tasks: tuple[ParsedTask, ...] = ()
    issuer: str | None = None
    number: str | None = None
    date: date | None = None  # the signing date
    year: int | None = None
    title: str | None = None
    period: tuple[int, int] | None = None  # "giai đoạn 2026 - 2030" → (2026, 2030)
    source_file: str = ""
    source_hash: str = ""
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    # Text that OCR produced (a scan read here, or a file OCR'd elsewhere), kept for the record
    # beside the repaired text the tasks were read from; None for a clean file (issue 27).
    ocr_text: str | None = None
    repaired_text: str | None = None

    def __post_init__(self) -> None:
        # sequences given as lists are kept as tuples, so no holder of the plan can change it
        for name in ("tasks", "warnings", "errors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.period is not None:
            first, last = self.period
            object.__setattr__(self, "period", (first, last))


class UserError(Exception):
    """A request that cannot be done as asked; `str(exc)` is one sentence for the user, shown as is."""


class ImportRefused(UserError):
    """A file that is not a readable plan. `str(exc)` is a one-line reason for the user."""


@dataclass(frozen=True)
class AgencyRecord:
    """An agency as the pure code sees it (loaded from storage)."""

    id: int
    name: str
    parent_id: int | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OccurrenceView:
    """One due date of a task and its state."""

    id: int
    due: date
    status: OccurrenceStatus = OccurrenceStatus.OPEN
    done_at: date | None = None  # local date it was marked done
    done_by: str = ""  # "telegram:123" of who marked it
    note: str = ""  # the result's note
    file_name: str = ""  # the report file sent with the result
    in_progress: bool = False  # "đang thực hiện" (open, someone said work is under way)
    progress_note: str = ""
    original_due: date | None = None  # the due date before an approved extension
    # A reporting occurrence of continuous work ("thường xuyên", DESIGN.md "The domain"): the first
    # day of the period it reports on (a year, or a quarter); `due` is that period's last day.
    # None for a due date of the plan. Reporting occurrences are never reminded.
    period_start: date | None = None

    @property
    def is_report(self) -> bool:
        return self.period_start is not None


@dataclass(frozen=True)
class TaskView:
    """A stored task with what questions, reminders and digests need, and nothing else."""

    id: int
    title: str
    lead_id: int | None
    lead: str  # display name of the lead agency (full name incl. parent), or the text as written
    kind: Kind
    deadline: str = ""
    number: str = ""  # TT in the plan
    partners: str = ""
    plan: str = ""  # plan number or title
    occurrences: tuple[OccurrenceView, ...] = ()
    lead_ids: tuple[int, ...] = ()  # every lead agency (a cell may name several); lead_id is the first
    plan_id: int | None = None
    plan_archived: bool = False  # its plan is archived: no reminders, left out of answers unless asked
    partner_ids: tuple[int, ...] = ()  # every coordinating agency (phối hợp)
    # Continuous work's reporting occurrences, one per period (kept apart from `occurrences`, the
    # due dates, so planners, answers and anything about deadlines never see them).
    reports: tuple[OccurrenceView, ...] = ()

    def report_for(self, day: date) -> OccurrenceView | None:
        """The reporting occurrence whose period holds `day` (else the last one before it, else
        the first); None for a task with no reporting occurrences."""
        before = None
        for occ in self.reports:
            if occ.period_start is not None and occ.period_start <= day <= occ.due:
                return occ
            if occ.due < day:
                before = occ
        return before or (self.reports[0] if self.reports else None)
