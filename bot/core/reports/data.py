"""What a report holds: the rows of the annex and the counts, taken from the digest.

* One row per counted occurrence (`digest.counted_occurrences`: due dates in the range, and the
  reporting occurrence of continuous work whose period overlaps it) of the tasks counted for the
  agency or a unit under it (`digest.counts_for`: a task counts for its first lead), grouped by
  that unit as the digest groups them, dated rows first, then continuous work.
* The counts per unit and in total ARE the digest's (`build_digest` over the same tasks, period
  and day), so the annex, the Word report and the digest can never disagree.
* "Tình trạng" is one of the four national states (`digest.report_state`); "Thời hạn" is the due
  date after an approved extension (the first date is in the note), or continuous work's period.
* People are shown by name and unit (`person_label`), never by account id: `people` maps an
  account to its label and an account it does not know is shown as nobody (empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reminders.digest import (
    Digest,
    DigestItem,
    StateCounts,
    UnitCounts,
    build_digest,
    counted_occurrences,
    counts_for,
    report_state,
    unit_name,
)
from bot.core.reports.wording import document_kind, reporting_period, vn_date
from bot.core.text import fold


@dataclass(frozen=True)
class PlanRef:
    """A plan as a report names it: "Kế hoạch số 444/KH-SCT ngày 10/02/2022"."""

    number: str = ""
    title: str = ""
    issued_on: date | None = None

    @property
    def label(self) -> str:
        """Its number, else its title (shortened), for the annex's "Kế hoạch" column."""
        if self.number:
            return self.number
        return self.title if len(self.title) <= 60 else self.title[:59].rstrip() + "…"

    @property
    def cited(self) -> str:
        """ "Kế hoạch số 444/KH-SCT ngày 10/02/2022", as a báo cáo's first sentence cites it."""
        said = f"{document_kind(self.number)} số {self.number}" if self.number else f"văn bản “{self.label}”"
        return said + (f" ngày {vn_date(self.issued_on)}" if self.issued_on else "")


@dataclass(frozen=True)
class Issuer:
    """Who sends the report: the agency (its own name), the body above it, the place of the date
    line, and where it goes ("Nơi nhận")."""

    name: str
    parent: str = ""
    place: str = ""
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportRow:
    unit_id: int
    unit: str
    plan: str
    title: str
    lead: str
    partners: str
    due: date
    period: str  # continuous work: the period it reports on ("năm 2026"); "" for a due date
    state: str  # one of digest.STATES
    done_on: date | None
    confirmed_by: str  # "Nguyễn Văn A (Văn phòng Sở)"; "" when not done or unknown
    note: str
    extended: bool = False  # its due date was moved by an approved extension


@dataclass
class Report:
    """Everything a report shows; `digest` holds the counts (per unit, total) and the lists."""

    agency: str  # full name of the agency reported on
    issuer: Issuer
    today: date
    start: date | None
    end: date | None
    rows: list[ReportRow]
    digest: Digest
    plans: list[PlanRef] = field(default_factory=list)

    @property
    def units(self) -> list[UnitCounts]:
        return self.digest.units

    @property
    def total(self) -> StateCounts:
        return self.digest.total

    @property
    def extensions(self) -> int:
        """Occurrences whose due date an approved extension moved."""
        return sum(1 for row in self.rows if row.extended)

    def overdue_by_unit(self) -> list[tuple[str, list[DigestItem]]]:
        """The digest's overdue occurrences, unit by unit (the units' order, most late first)."""
        by_unit: dict[str, list[DigestItem]] = {}
        for item in self.digest.overdue:
            by_unit.setdefault(item.unit, []).append(item)
        return [(u.name, by_unit[u.name]) for u in self.units if u.name in by_unit]


def person_label(name: str, unit: str) -> str:
    """A person as a report shows them: "Nguyễn Văn A (Văn phòng Sở)", the unit alone when the
    account has no name, "" when neither is known."""
    name, unit = name.strip(), unit.strip()
    if name and unit:
        return f"{name} ({unit})"
    return name or unit


def _note(occ: OccurrenceView) -> str:
    """The evidence or note of a row (a note is shown as written: DESIGN.md, results)."""
    done = occ.status == OccurrenceStatus.DONE
    notes = []
    if occ.original_due is not None and occ.original_due != occ.due:
        notes.append(f"Gia hạn từ {vn_date(occ.original_due)}")
    if done and occ.note:
        notes.append(occ.note)
    if done and occ.file_name:
        notes.append(f"Tệp: {occ.file_name}")
    if not done and occ.in_progress:
        notes.append("Đang thực hiện" + (f": {occ.progress_note}" if occ.progress_note else ""))
    return "; ".join(notes)


def _row(
    task: TaskView,
    occ: OccurrenceView,
    unit: str,
    plan: str,
    today: date,
    people: Mapping[str, str],
    names: Mapping[int, str],
) -> ReportRow:
    """One row; every lead is named as the report names agencies ("Văn phòng Sở; Thanh tra Sở")."""
    done = occ.status == OccurrenceStatus.DONE
    return ReportRow(
        unit_id=task.lead_id or 0,
        unit=unit,
        plan=plan,
        title=task.title,
        lead="; ".join(dict.fromkeys(names[i] for i in task.lead_ids if i in names)) or task.lead,
        partners=task.partners,
        due=occ.due,
        period=reporting_period(occ.period_start, occ.due) if occ.period_start else "",
        state=report_state(occ, today),
        done_on=occ.done_at if done else None,
        confirmed_by=people.get(occ.done_by, "") if done else "",
        note=_note(occ),
        extended=occ.original_due is not None and occ.original_due != occ.due,
    )


def collect(
    tasks: Iterable[TaskView],
    *,
    agency_ids: set[int] | frozenset[int],
    unit_names: Mapping[int, str],
    today: date,
    start: date | None = None,
    end: date | None = None,
    people: Mapping[str, str] | None = None,
    issuer: Issuer | None = None,
    agency: str = "",
    plans: Mapping[int, PlanRef] | None = None,
    agency_names: Mapping[int, str] | None = None,
) -> Report:
    """The rows and counts of the report of `agency_ids` (the agency and its units).

    `unit_names` names the units counted; `agency_names` (default: the same) every agency a task
    may name as a joint lead, also outside them."""
    tasks = list(tasks)
    names = agency_names or unit_names
    people = people or {}
    plans = plans or {}
    period = None if start is None and end is None else (start or date.min, end or date.max)
    digest = build_digest(tasks, agency_ids=agency_ids, unit_names=unit_names, today=today, period=period)
    keyed: list[tuple[tuple[str, int, bool, date, int], ReportRow]] = []
    covered: dict[int, PlanRef] = {}
    folded: dict[str, str] = {}
    for order, task in enumerate(tasks):
        if not counts_for(task, agency_ids):
            continue
        unit = unit_name(task, unit_names)
        if unit not in folded:
            folded[unit] = fold(unit)
        ref = plans.get(task.plan_id or 0)
        for occ in counted_occurrences(task, period):
            if ref is not None and task.plan_id is not None:
                covered.setdefault(task.plan_id, ref)
            row = _row(task, occ, unit, ref.label if ref else task.plan, today, people, names)
            keyed.append(((folded[unit], row.unit_id, occ.is_report, occ.due, order), row))
    keyed.sort(key=lambda kr: kr[0])
    return Report(
        agency=agency,
        issuer=issuer or Issuer(agency),
        today=today,
        start=start,
        end=end,
        rows=[row for _, row in keyed],
        digest=digest,
        plans=[covered[pid] for pid in sorted(covered, key=lambda p: (fold(covered[p].label), p))],
    )
