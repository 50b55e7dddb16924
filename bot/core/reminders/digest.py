"""The managers' digest: how an agency and its units are doing, overdue and due-soon work.

What is counted (decided here, the same for the message, the chart and `nhacviec digest --json`):

* Every OCCURRENCE of the tasks given whose lead agency is in `agency_ids` (the manager's agency
  and the units under it) — a quarterly report is four deliverables, each counted on its own.
  Storage expands recurring rules inside its window (the calendar year), so by default the counts
  cover the plans' year; pass `period=(first, last)` to count only occurrences due in it.
* Each occurrence is in exactly one of the four states the national task-tracking system uses:
  - **hoàn thành đúng hạn** — done, `done_at <= due` (done without a recorded date counts here);
  - **hoàn thành quá hạn** — done, `done_at > due`;
  - **đang thực hiện trong hạn** — not done, `due >= today` (not late yet, however far away);
  - **đang thực hiện quá hạn** — not done, `due < today`.
  An occurrence marked "đang thực hiện" (work under way, with a note) is one of the last two like
  any open one; the mark and the note show in the lists. `due` is the due date after an approved
  extension.
* The late rate is the share of the quá hạn states (done late + open late) in all counted
  occurrences — the national system's "tỷ lệ quá hạn"; 0 when nothing is counted.
* Lists: open overdue occurrences, most late first; open occurrences due from today through
  today + `soon_days` (7, as in questions' "sắp đến hạn"), soonest first.

* Continuous work ("thường xuyên", `TaskView.reports`): one reporting occurrence per period (a
  year, or a quarter), counted with the rest when its period overlaps the one asked. It has no
  deadline to miss, so it is never late: done → hoàn thành đúng hạn, else đang thực hiện trong
  hạn; it is in no overdue or due-soon list (and never reminded). A task with neither due dates
  nor reporting occurrences is only counted in `without_deadline`.

`counted_occurrences` and `report_state` are the one statement of what counts and how: the
digest, the export (`bot.core.reports`) and `nhacviec digest --json` all go through them.

When it is sent (`digest_day`): Monday to Friday at `digest_at` local time (postponed out of quiet
hours like reminders), claimed once per manager and day with `digest_key`; a digest missed
because the bot was down goes out later the same day, never on a later day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView
from bot.core.i18n import _, ngettext
from bot.core.markup import esc
from bot.core.reminders.messages import days_phrase, format_date
from bot.core.reminders.planner import postpone_out_of_quiet
from bot.core.results import occurrence_facts
from bot.core.text import fold

STATES = ("done_on_time", "done_late", "open_on_time", "open_late")


def state_labels() -> dict[str, str]:
    """The four states' names, in the current language (for messages and the chart)."""
    return {
        "done_on_time": _("Hoàn thành đúng hạn"),
        "done_late": _("Hoàn thành quá hạn"),
        "open_on_time": _("Đang thực hiện trong hạn"),
        "open_late": _("Đang thực hiện quá hạn"),
    }


@dataclass
class StateCounts:
    """How many occurrences are in each of the four states."""

    done_on_time: int = 0
    done_late: int = 0
    open_on_time: int = 0
    open_late: int = 0

    @property
    def total(self) -> int:
        return self.done_on_time + self.done_late + self.open_on_time + self.open_late

    @property
    def late(self) -> int:
        return self.done_late + self.open_late

    @property
    def late_rate(self) -> float:
        """Share of occurrences that are (or were done) late, 0..1."""
        return self.late / self.total if self.total else 0.0

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)

    def as_dict(self) -> dict[str, int | float]:
        return {
            **{state: getattr(self, state) for state in STATES},
            "total": self.total,
            "late": self.late,
            "late_rate": round(self.late_rate, 4),
        }


@dataclass(frozen=True)
class UnitCounts:
    agency_id: int
    name: str
    counts: StateCounts


@dataclass(frozen=True)
class DigestItem:
    """One occurrence in the overdue or due-soon list."""

    task: TaskView
    occurrence_id: int
    due: date
    days_left: int  # negative when overdue
    unit: str
    occurrence: OccurrenceView | None = None


@dataclass
class Digest:
    today: date
    total: StateCounts = field(default_factory=StateCounts)
    units: list[UnitCounts] = field(default_factory=list)
    overdue: list[DigestItem] = field(default_factory=list)
    due_soon: list[DigestItem] = field(default_factory=list)
    without_deadline: int = 0
    soon_days: int = 7
    partner_tasks: int = 0  # tasks the agency coordinates (phối hợp), counted apart from its own
    partner_overdue: int = 0  # of which overdue
    continuous: int = 0  # of the counted occurrences, continuous work's reporting occurrences


def occurrence_state(status: OccurrenceStatus, due: date, done_at: date | None, today: date) -> str:
    """Which of the four states one occurrence is in (see the module docstring)."""
    if status == OccurrenceStatus.DONE:
        return "done_late" if done_at is not None and done_at > due else "done_on_time"
    return "open_on_time" if due >= today else "open_late"


def report_state(occ: OccurrenceView, today: date) -> str:
    """The state of a counted occurrence: continuous work's reporting occurrences are never late."""
    if occ.is_report:
        return "done_on_time" if occ.status == OccurrenceStatus.DONE else "open_on_time"
    return occurrence_state(occ.status, occ.due, occ.done_at, today)


Period = tuple[date, date]


def in_period(occ: OccurrenceView, period: Period | None) -> bool:
    """A due date inside the period; a reporting occurrence whose period overlaps it."""
    if period is None:
        return True
    first = occ.period_start or occ.due
    return first <= period[1] and occ.due >= period[0]


NO_LEAD = 0  # the "agency" of tasks whose lead is in no directory row; a whole-deployment report counts it


def counts_for(task: TaskView, agency_ids: set[int] | frozenset[int]) -> bool:
    """A task counts for its first lead only (so a joint task is counted once); a task whose lead
    named no agency counts only where `NO_LEAD` is asked for (a report of every agency)."""
    return (task.lead_id if task.lead_id is not None else NO_LEAD) in agency_ids


def counted_occurrences(task: TaskView, period: Period | None) -> list[OccurrenceView]:
    """What of a task is counted: its due dates in the period, then its reporting occurrences."""
    return [o for o in (*task.occurrences, *task.reports) if in_period(o, period)]


def unit_name(task: TaskView, unit_names: Mapping[int, str]) -> str:
    """The unit a task is counted under: its first lead's full name."""
    return unit_names.get(task.lead_id or 0) or task.lead or f"#{task.lead_id}"


def build_digest(
    tasks: Iterable[TaskView],
    *,
    agency_ids: set[int] | frozenset[int],
    unit_names: Mapping[int, str],
    today: date,
    period: Period | None = None,
    soon_days: int = 7,
) -> Digest:
    """Count and list the occurrences of the tasks led by `agency_ids` (pure; `today` injected)."""
    digest = Digest(today=today, soon_days=soon_days)
    per_unit: dict[int, UnitCounts] = {}
    soon_until = today + timedelta(days=soon_days)
    for task in tasks:
        if not counts_for(task, agency_ids):
            _count_partner(digest, task, agency_ids, period, today)
            continue
        if not task.occurrences and not task.reports:
            digest.without_deadline += 1
            continue
        lead_id = task.lead_id if task.lead_id is not None else NO_LEAD
        name = unit_name(task, unit_names)
        unit = per_unit.get(lead_id)
        for occ in counted_occurrences(task, period):
            if unit is None:
                unit = per_unit[lead_id] = UnitCounts(lead_id, name, StateCounts())
            state = report_state(occ, today)
            unit.counts.add(state)
            digest.total.add(state)
            if occ.is_report:
                digest.continuous += 1
                continue
            if occ.status != OccurrenceStatus.OPEN:
                continue
            days_left = (occ.due - today).days
            if days_left < 0:
                digest.overdue.append(DigestItem(task, occ.id, occ.due, days_left, name, occ))
            elif occ.due <= soon_until:
                digest.due_soon.append(DigestItem(task, occ.id, occ.due, days_left, name, occ))
    folded = {u.name: fold(u.name) for u in per_unit.values()}
    digest.units = sorted(per_unit.values(), key=lambda u: (folded[u.name], u.agency_id))
    digest.overdue.sort(key=lambda i: (i.days_left, folded[i.unit], i.task.id, i.occurrence_id))
    digest.due_soon.sort(key=lambda i: (i.days_left, folded[i.unit], i.task.id, i.occurrence_id))
    return digest


def _count_partner(
    digest: Digest, task: TaskView, agency_ids: set[int] | frozenset[int], period: Period | None, today: date
) -> None:
    """A task the agency only coordinates (phối hợp) is counted apart, as a task."""
    if not any(p in agency_ids for p in task.partner_ids) or any(lead in agency_ids for lead in task.lead_ids):
        return
    occurrences = [o for o in task.occurrences if in_period(o, period)]
    if occurrences or (period is None and not task.occurrences):
        digest.partner_tasks += 1
        if any(o.status == OccurrenceStatus.OPEN and o.due < today for o in occurrences):
            digest.partner_overdue += 1


def digest_day(
    now: datetime, *, digest_at: time, tz: tzinfo, quiet_hours: tuple[time, time] | None = None
) -> date | None:
    """The working day whose digest is due at `now` (local), or None (weekend, or too early).

    `now` may be naive (local) or aware. A `digest_at` inside quiet hours moves to their end;
    when that is the next morning, the digest of a Friday goes out on Saturday morning.
    """
    local = now.astimezone(tz).replace(tzinfo=None) if now.tzinfo else now
    shift, at = postpone_out_of_quiet(digest_at, quiet_hours)
    day = local.date() - timedelta(days=shift)
    if day.weekday() >= 5 or local.time() < at:
        return None
    return day


def digest_key(recipient: str, day: date) -> str:
    """The claim key of one manager's digest for one working day."""
    return f"digest:{recipient}:{day.isoformat()}"


def percent(rate: float) -> str:
    """0.403 → "40,3%" (Vietnamese decimal comma)."""
    return f"{rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


def _counts_lines(counts: StateCounts) -> list[str]:
    labels = state_labels()
    return [f"• {labels[state]}: {getattr(counts, state)}" for state in STATES]


def digest_blocks(digest: Digest, *, agency_label: str, today: date, limit: int = 20) -> list[str]:
    """The digest as HTML blocks: totals, per unit, then the overdue and due-soon lists."""
    blocks = [
        _("📊 <b>Tổng hợp nhiệm vụ — {agency}</b> (ngày {today})").format(
            agency=esc(agency_label), today=format_date(today)
        )
    ]
    total = digest.total
    if total.total == 0:
        blocks.append(_("Chưa có nhiệm vụ nào có thời hạn."))
    else:
        summary = [_("Tổng số: {count} lượt nhiệm vụ có hạn").format(count=total.total - digest.continuous)]
        if digest.continuous:
            summary[0] = _("Tổng số: {count} lượt nhiệm vụ").format(count=total.total)
            summary.append(_("trong đó {count} lượt việc thường xuyên").format(count=digest.continuous))
        summary.extend(_counts_lines(total))
        summary.append(_("Tỷ lệ quá hạn: {rate}").format(rate=percent(total.late_rate)))
        blocks.append("\n".join(summary))
    if digest.partner_tasks:
        blocks.append(
            _("Phối hợp (đơn vị khác chủ trì): {count} việc, {overdue} quá hạn").format(
                count=digest.partner_tasks, overdue=digest.partner_overdue
            )
        )
    if len(digest.units) > 1:
        blocks.append(_("<b>Theo đơn vị</b> (đúng hạn / hoàn thành quá hạn / trong hạn / quá hạn):"))
        for unit in digest.units:
            c = unit.counts
            blocks.append(
                f"• {esc(unit.name)}: {c.done_on_time} / {c.done_late} / {c.open_on_time} / {c.open_late}"
                + " — "
                + _("quá hạn {rate}").format(rate=percent(c.late_rate))
            )
    if digest.overdue:
        blocks.append(_("⚠️ <b>Quá hạn ({count})</b>:").format(count=len(digest.overdue)))
        for item in digest.overdue[:limit]:
            blocks.append(
                ngettext(
                    "• <b>{title}</b> — hạn {due}, trễ {days} ngày — {unit}",
                    "• <b>{title}</b> — hạn {due}, trễ {days} ngày — {unit}",
                    -item.days_left,
                ).format(
                    title=esc(item.task.title),
                    due=format_date(item.due),
                    days=-item.days_left,
                    unit=esc(item.unit),
                )
                + _facts(item)
            )
        if len(digest.overdue) > limit:
            blocks.append(_("… và {count} việc quá hạn khác").format(count=len(digest.overdue) - limit))
    if digest.due_soon:
        blocks.append(
            _("📅 <b>Đến hạn trong {days} ngày tới ({count})</b>:").format(
                days=digest.soon_days, count=len(digest.due_soon)
            )
        )
        for item in digest.due_soon[:limit]:
            when = days_phrase(item.due, today)
            blocks.append(
                _("• <b>{title}</b> — hạn {due}, {when} — {unit}").format(
                    title=esc(item.task.title), due=format_date(item.due), when=when, unit=esc(item.unit)
                )
                + _facts(item)
            )
        if len(digest.due_soon) > limit:
            blocks.append(_("… và {count} việc sắp đến hạn khác").format(count=len(digest.due_soon) - limit))
    if not digest.overdue and not digest.due_soon:
        blocks.append(_("Không có việc quá hạn hay sắp đến hạn."))
    if digest.without_deadline:
        blocks.append(
            _("Ngoài ra có {count} nhiệm vụ thường xuyên hoặc không ghi thời hạn.").format(
                count=digest.without_deadline
            )
        )
    return blocks


def _facts(item: DigestItem) -> str:
    facts = occurrence_facts(item.occurrence)
    return (" " + " ".join(facts)) if facts else ""


def _item_json(item: DigestItem) -> dict[str, object]:
    occ = item.occurrence
    return {
        "in_progress": bool(occ and occ.in_progress),
        "progress_note": occ.progress_note if occ else "",
        "original_due": occ.original_due.isoformat() if occ and occ.original_due else None,
        "task_id": item.task.id,
        "occurrence_id": item.occurrence_id,
        "title": item.task.title,
        "lead": item.unit,
        "plan": item.task.plan,
        "due": item.due.isoformat(),
        "days_left": item.days_left,
    }


def digest_json(digest: Digest) -> dict[str, object]:
    """The digest as plain JSON values (for `nhacviec digest --json`)."""
    return {
        "today": digest.today.isoformat(),
        "total": digest.total.as_dict(),
        "late_rate": round(digest.total.late_rate, 4),
        "units": [{"agency_id": u.agency_id, "name": u.name, **u.counts.as_dict()} for u in digest.units],
        "overdue": [{**_item_json(i), "days_late": -i.days_left} for i in digest.overdue],
        "due_soon": [_item_json(i) for i in digest.due_soon],
        "without_deadline": digest.without_deadline,
        "continuous": digest.continuous,
        "partner_tasks": digest.partner_tasks,
        "partner_overdue": digest.partner_overdue,
    }
