"""A parsed question + the stored tasks → the tasks that answer it, and the reply text.

Pure: tasks, `today` and the working-day calendar are passed in. Status is judged per occurrence
(a quarterly report is four deliverables; one missed quarter makes the task overdue even when the
next is open). The reply is a list of HTML-safe blocks, one per task, so a long answer is split
between tasks; the first says in one line what was understood (agency · period · status · topic),
so a misreading shows at once. Its shape follows what was asked: a list, when it is due (dates and
who leads first), how many days are left (the count first, working days too when counted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView
from bot.core.i18n import _, ngettext
from bot.core.lang.agencies import Directory
from bot.core.lang.questions import Question, period_label, status_label
from bot.core.lang.topics import search_topic
from bot.core.markup import esc
from bot.core.reminders.digest import occurrence_state
from bot.core.reminders.workdays import WorkCalendar
from bot.core.results import occurrence_facts

__all__ = [
    "Answer",
    "AnswerItem",
    "answer",
    "compose",
    "overdue_elsewhere",
    "period_label",
    "search_topic",
    "select",
    "to_json",
]

DUE_SOON_DAYS = 7
MAX_TITLE = 300  # characters of a title shown in a list (the task itself keeps all of it)
STATES = ("overdue", "due_soon", "later", "done", "continuous")
NEXT_DATES = 3  # further open due dates shown when asked when a recurring task is due


@dataclass
class AnswerItem:
    """One task in an answer, with the due date that made it belong there."""

    task: TaskView
    due: date | None
    state: str  # "overdue" | "due_soon" | "later" | "done" | "continuous"
    others: int = 0  # further occurrences of the same task that also matched
    role: str = "lead"  # "lead" | "partner": how the asked agency takes part in the task
    occurrence_id: int | None = None  # the occurrence `due` belongs to
    occurrence: OccurrenceView | None = None  # the occurrence shown (its result, progress, extension)


@dataclass
class Answer:
    items: list[AnswerItem]
    blocks: list[str]


# -- selecting ------------------------------------------------------------------------------


def _is_done(occurrence: OccurrenceView) -> bool:
    return occurrence.status == OccurrenceStatus.DONE


def _state(occurrence: OccurrenceView, today: date) -> str:
    if _is_done(occurrence):
        return "done"
    if occurrence.due < today:
        return "overdue"
    if occurrence.due <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "later"


def _matching(question: Question, task: TaskView, today: date) -> list[OccurrenceView]:
    """The occurrences of a task that the question's period and status select (a by-date period
    has no start: everything due up to its end, overdue included)."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    start, end = question.start, question.end
    status = question.status
    chosen = []
    for o in task.occurrences:
        if end is not None and (o.due > end or (start is not None and o.due < start)):
            continue
        done = _is_done(o)
        if (
            (status == "open" and not done)
            or (status == "overdue" and not done and o.due < today)
            or (status == "due_soon" and not done and today <= o.due <= soon)
            or (status == "done" and done)
            or status == "all"
        ):
            chosen.append(o)
    return chosen


def _item(task: TaskView, chosen: list[OccurrenceView], today: date, role: str = "lead") -> AnswerItem:
    """The item of a task: its most pressing matching occurrence (oldest open, else last done)."""
    open_ones = sorted((o for o in chosen if not _is_done(o)), key=lambda o: o.due)
    if open_ones:
        first = open_ones[0]
    else:
        first = max(chosen, key=lambda o: o.due)
    return AnswerItem(task, first.due, _state(first, today), len(chosen) - 1, role, first.id, first)


def _sort_key(item: AnswerItem) -> tuple[int, date, int]:
    due = item.due or date.max
    if item.state == "done":
        due = date.max - (item.due - date.min) if item.due else date.max  # latest done first
    return STATES.index(item.state), due, item.task.id  # ties keep the plan's order


def _leads(task: TaskView) -> tuple[int | None, ...]:
    return task.lead_ids or (task.lead_id,)


def _pool(question: Question, tasks: Iterable[TaskView]) -> list[tuple[TaskView, str]]:
    """Tasks led by the agency asked about (or its units), then those it coordinates (phối hợp).

    A joint lead counts as a lead. Without an agency: every task, as led.
    """
    wanted = question.agency_ids or (
        frozenset({question.agency_id}) if question.agency_id is not None else None
    )
    if wanted is None:
        return [(t, "lead") for t in tasks]
    leads: list[tuple[TaskView, str]] = []
    partners: list[tuple[TaskView, str]] = []
    for t in tasks:
        if any(lead in wanted for lead in _leads(t)):
            leads.append((t, "lead"))
        elif any(partner in wanted for partner in t.partner_ids):
            partners.append((t, "partner"))
    return leads + partners


def _topic_items(question: Question, pool: list[TaskView], roles: dict[int, str], today: date) -> list[AnswerItem]:
    items = []
    filtered = question.end is not None or question.status != "open"
    for task in search_topic(question.topic or "", pool, limit=50):
        if filtered:
            chosen = _matching(question, task, today)
            if not chosen:
                continue
        else:
            chosen = [o for o in task.occurrences if not _is_done(o)] or list(task.occurrences)
        if chosen:
            items.append(_item(task, chosen, today, roles[task.id]))
        else:
            items.append(AnswerItem(task, None, "continuous", role=roles[task.id]))
    return items


def select(question: Question, tasks: Iterable[TaskView], today: date) -> list[AnswerItem]:
    """The tasks answering a question, most pressing first (topic questions: best match first).

    Undated ("thường xuyên") tasks are listed only when no period is asked.
    """
    if (question.agency_name_asked and question.agency_id is None) or question.intent not in ("tasks", "topic"):
        return []  # an agency was named and not found: never answer about another one
    pooled = _pool(question, tasks)
    if question.role is not None:
        pooled = [(t, role) for t, role in pooled if role == question.role]
    roles = {t.id: role for t, role in pooled}
    pool = [t for t, _ in pooled]
    if question.intent == "topic":
        return _topic_items(question, pool, roles, today)
    items = []
    for task in pool:
        if not task.occurrences:
            if question.end is None and question.status in ("open", "all"):
                items.append(AnswerItem(task, None, "continuous", role=roles[task.id]))
            continue
        chosen = _matching(question, task, today)
        if chosen:
            items.append(_item(task, chosen, today, roles[task.id]))
    items.sort(key=lambda item: (item.role != "lead", *_sort_key(item)))
    return items


def overdue_elsewhere(question: Question, tasks: Iterable[TaskView], today: date) -> int:
    """How many tasks of the asked agency are overdue (for an empty answer: "nothing this month,
    but 3 overdue")."""
    pool = [t for t, role in _pool(question, tasks) if role == (question.role or "lead")]
    return sum(1 for t in pool if any(not _is_done(o) and o.due < today for o in t.occurrences))


# -- writing --------------------------------------------------------------------------------


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def _when(item: AnswerItem, today: date) -> str:
    if item.due is None:
        return ""
    if item.state == "done":
        return _("đã xong")
    days = (item.due - today).days
    if days == 0:
        return _("hôm nay")
    if days < 0:
        return ngettext("trễ {n} ngày", "trễ {n} ngày", -days).format(n=-days)
    return ngettext("còn {n} ngày", "còn {n} ngày", days).format(n=days)


def _working(item: AnswerItem, today: date, calendar: WorkCalendar | None) -> str:
    """ "(2 ngày làm việc)" when working days are counted and the task is open and dated."""
    if calendar is None or item.due is None or item.state == "done" or item.due == today:
        return ""
    n = abs(calendar.working_days_between(today, item.due))
    return ngettext("{n} ngày làm việc", "{n} ngày làm việc", n).format(n=n)


def _days_left(item: AnswerItem, today: date, calendar: WorkCalendar | None) -> str:
    """The count first: "Còn 3 ngày (2 ngày làm việc)", "Trễ 5 ngày", "Hôm nay là hạn"."""
    if item.due is None:
        return _("Không có hạn cụ thể")
    if item.state == "done":
        return _("Đã xong")
    days = (item.due - today).days
    if days == 0:
        text = _("Hôm nay là hạn")
    elif days < 0:
        text = ngettext("Trễ {n} ngày", "Trễ {n} ngày", -days).format(n=-days)
    else:
        text = ngettext("Còn {n} ngày", "Còn {n} ngày", days).format(n=days)
    working = _working(item, today, calendar)
    return f"{text} ({working})" if working else text


def _next_dates(item: AnswerItem) -> str:
    """The further open due dates of a recurring task, for "when is it due?"."""
    if item.due is None:
        return ""
    later = sorted(o.due for o in item.task.occurrences if not _is_done(o) and o.due > item.due)
    if not later:
        return ""
    shown = ", ".join(_d(day) for day in later[:NEXT_DATES]) + ("…" if len(later) > NEXT_DATES else "")
    return _("các kỳ sau: {dates}").format(dates=shown)


def _lead_part(item: AnswerItem) -> str:
    lead = item.task.lead.strip()
    return _("chủ trì: {lead}").format(lead=f"<i>{esc(_short(lead))}</i>") if lead else ""


def _line(item: AnswerItem, today: date, asks: str = "list", calendar: WorkCalendar | None = None) -> str:
    """One task, shaped by what was asked: its due date (or days left) first, title, lead."""
    title = esc(_short(item.task.title))
    if asks == "days_left":
        head = f"• <b>{esc(_days_left(item, today, calendar))}</b>"
        head += f" — {_d(item.due)} — {title}" if item.due else f" — {title}"
        parts = [head, _lead_part(item)]
    elif asks == "when":
        when = _when(item, today)
        working = _working(item, today, calendar) if item.state != "overdue" else ""
        if item.due is None:
            head = "• " + esc(_("Không có hạn cụ thể (thường xuyên)")) + f" — {title}"
        else:
            detail = ", ".join(d for d in (when, working) if d)
            head = _("• Hạn {date}").format(date=f"<b>{_d(item.due)}</b>") + (f" ({esc(detail)})" if detail else "")
            head += f" — {title}"
        parts = [head, _lead_part(item), esc(_next_dates(item))]
    else:
        parts = [f"• <b>{_d(item.due)}</b> — {title}" if item.due else f"• {title}", _lead_part(item)]
        when = _when(item, today)
        if when:
            parts.append(f"({esc(when)})")
        if item.others > 0:
            parts.append(esc(_("và {n} kỳ khác").format(n=item.others)))
    parts.extend(occurrence_facts(item.occurrence))
    parts = [p for p in parts if p]
    return parts[0] + ("\n   " + " ".join(parts[1:]) if len(parts) > 1 else "")


def _group_title(state: str) -> str:
    return {
        "overdue": _("Quá hạn"),
        "due_soon": _("Sắp đến hạn"),
        "later": _("Sau đó"),
        "done": _("Đã xong"),
        "continuous": _("Thường xuyên, không có hạn cụ thể"),
    }[state]


def understood_line(question: Question) -> str:
    """ "Hiểu là: Sở Tư pháp · đến hết 15/12/2026 · chưa xong, kể cả quá hạn" (HTML-safe)."""
    return "<i>" + esc(_("Hiểu là: {pieces}").format(pieces=" · ".join(question.understood))) + "</i>"


def _empty_sentence(question: Question, agency: str, today: date) -> str:
    when = period_label(question)
    if question.status == "due_soon" and not when:
        when = _("từ {start} đến {end}").format(
            start=_d(today), end=_d(today + timedelta(days=DUE_SOON_DAYS))
        )
    sentence = {
        "open": _("Không có việc nào chưa xong của {agency}"),
        "overdue": _("Không có việc nào quá hạn của {agency}"),
        "due_soon": _("Không có việc nào sắp đến hạn của {agency}"),
        "done": _("Chưa có việc nào đã xong của {agency}"),
        "all": _("Không có việc nào của {agency}"),
    }[question.status].format(agency=agency)
    return f"{sentence} {when}." if when else f"{sentence}."


def example_questions() -> tuple[str, ...]:
    """Questions shown when one is not understood (translated: they are what users type)."""
    return (
        _("việc của tôi tháng này"),
        _("Sở Tư pháp có việc gì quá hạn?"),
        _("ai chủ trì chữ ký số?"),
    )


def social_reply(kind: str) -> list[str]:
    """A short reply of its own to thanks, an acknowledgement, a goodbye or a greeting."""
    if kind == "thanks":
        return [esc(_("Không có gì ạ! Cần gì bạn cứ hỏi nhé."))]
    if kind == "ack":
        return [esc(_("Vâng ạ. Khi cần, bạn cứ nhắn câu hỏi, ví dụ: “việc của tôi tuần này”."))]
    if kind == "bye":
        return [esc(_("Chào bạn, hẹn gặp lại!"))]
    examples = "\n".join(f"• <i>{esc(example)}</i>" for example in example_questions())
    return [
        esc(_("Xin chào! Tôi nhắc và trả lời về các việc trong kế hoạch. Bạn có thể hỏi, ví dụ:"))
        + "\n"
        + examples
    ]


def _not_understood(question: Question) -> list[str]:
    blocks = [esc(_("Tôi chưa hiểu câu hỏi này."))]
    if question.understood:
        blocks.append(esc(_("Tôi hiểu được: {pieces}.").format(pieces="; ".join(question.understood))))
    examples = "\n".join(f"• <i>{esc(example)}</i>" for example in example_questions())
    blocks.append(esc(_("Bạn có thể hỏi, ví dụ:")) + "\n" + examples)
    return blocks


def _not_found(question: Question) -> list[str]:
    blocks = [
        esc(_("Không tìm thấy cơ quan “{name}”.").format(name=_short(question.agency_name_asked or "")))
    ]
    if question.suggestions:
        blocks.append(esc(_("Có phải: {names}?").format(names="; ".join(question.suggestions[:3]))))
    return blocks


@dataclass
class _Shape:
    """How the lines of one reply are written."""

    today: date
    limit: int
    asks: str = "list"
    calendar: WorkCalendar | None = None


def _listing(items: list[AnswerItem], shape: _Shape, header: str, *, grouped: bool, limit: int) -> list[str]:
    blocks: list[str] = []
    prefix = header
    current_group = None
    for item in items[:limit]:
        if grouped and item.state != current_group:
            current_group = item.state
            heading = f"<b>{esc(_group_title(item.state))}</b>"
            prefix = f"{prefix}\n\n{heading}" if prefix else heading
        line = _line(item, shape.today, shape.asks, shape.calendar)
        blocks.append(f"{prefix}\n{line}" if prefix else line)
        prefix = ""
    if len(items) > limit:
        blocks.append(
            esc(
                ngettext("… và {n} việc khác.", "… và {n} việc khác.", len(items) - limit).format(
                    n=len(items) - limit
                )
            )
        )
    return blocks


def compose(
    question: Question,
    items: list[AnswerItem],
    *,
    today: date,
    agency_label: str | None,
    limit: int = 15,
    overdue: int = 0,
    calendar: WorkCalendar | None = None,
) -> list[str]:
    """The reply: HTML-safe blocks, one per task, headed by what was understood and asked.

    Tasks the agency leads come first; those it coordinates follow under "Phối hợp". `overdue`
    (see `overdue_elsewhere`) turns an empty answer into "nothing then, but n overdue";
    `calendar` (working days on) adds the count of working days left.
    """
    if question.intent == "greeting":
        return social_reply(question.social or "greeting")
    if question.agency_name_asked and question.agency_id is None:
        return _not_found(question)
    if question.intent == "unknown" or (question.intent == "topic" and not items and question.guessed_topic):
        return _not_understood(question)
    shape = _Shape(today, max(1, limit), question.asks, calendar)
    if question.intent == "topic":
        blocks = _compose_topic(question, items, shape)
    else:
        blocks = _compose_tasks(question, items, shape, agency_label or _("mọi cơ quan"), overdue)
    blocks[0] = f"{understood_line(question)}\n{blocks[0]}"
    return blocks


def _compose_topic(question: Question, items: list[AnswerItem], shape: _Shape) -> list[str]:
    topic = _short(question.topic or "")
    if not items:
        return [esc(_("Không tìm thấy việc nào về “{topic}”.").format(topic=topic))]
    blocks: list[str] = []
    if question.asks_lead:
        top = items[0].task
        blocks.append(
            _("{lead} chủ trì: {title}").format(
                lead="<b>" + esc(_short(top.lead) or _("(chưa rõ)")) + "</b>",
                title=esc(_short(top.title)),
            )
        )
    title = {
        "when": _("Hạn của các việc về “{topic}”:"),
        "days_left": _("Còn bao nhiêu ngày — các việc về “{topic}”:"),
    }.get(question.asks, _("Các việc về “{topic}”:"))
    header = "<b>" + esc(title.format(topic=topic)) + "</b>"
    return blocks + _listing(items, shape, header, grouped=False, limit=shape.limit)


def _compose_tasks(
    question: Question, items: list[AnswerItem], shape: _Shape, agency: str, overdue: int
) -> list[str]:
    if not items:
        blocks = [esc(_empty_sentence(question, agency, shape.today))]
        if overdue and question.status != "overdue":
            blocks.append(
                esc(
                    ngettext(
                        "Nhưng có {n} việc đã quá hạn — hỏi “{agency} quá hạn” để xem.",
                        "Nhưng có {n} việc đã quá hạn — hỏi “{agency} quá hạn” để xem.",
                        overdue,
                    ).format(n=overdue, agency=agency)
                )
            )
        return blocks
    title = _("Việc của {agency}").format(agency=agency)
    status = "" if question.status == "open" else status_label(question.status)
    details = [d for d in (period_label(question), status) if d]
    if details:
        title = f"{title} — {', '.join(details)}"
    leads = [item for item in items if item.role == "lead"]
    partners = [item for item in items if item.role == "partner"]
    if partners and not leads:
        count = ngettext("({n} việc phối hợp)", "({n} việc phối hợp)", len(partners)).format(n=len(partners))
    elif partners:
        count = _("({leads} chủ trì, {partners} phối hợp)").format(leads=len(leads), partners=len(partners))
    else:
        count = ngettext("({n} việc)", "({n} việc)", len(items)).format(n=len(items))
    header = f"<b>{esc(title)}</b> " + esc(count)
    blocks = _listing(leads, shape, header, grouped=True, limit=shape.limit) if leads else []
    if partners:
        heading = "<b>" + esc(_("Phối hợp")) + "</b>"
        if not leads:
            heading = f"{header}\n\n{heading}"
        blocks += _listing(partners, shape, heading, grouped=False, limit=max(1, shape.limit - len(leads[: shape.limit])))
    return blocks


def answer(question: Question, tasks: Iterable[TaskView], *, today: date, agency_label: str | None) -> Answer:
    """`select` then `compose`, for callers that want both."""
    items = select(question, tasks, today)
    return Answer(items, compose(question, items, today=today, agency_label=agency_label))


def _task_json(item: AnswerItem, today: date | None, calendar: WorkCalendar | None) -> dict[str, Any]:
    occurrence = item.occurrence
    days = (item.due - today).days if item.due and today else None
    shown: dict[str, Any] = {
        "title": item.task.title,
        "lead": item.task.lead,
        "due": item.due.isoformat() if item.due else None,
        "number": item.task.number,
        "plan": item.task.plan,
        "state": item.state,
        "role": item.role,
        "occurrence": item.occurrence_id,
        # one of the four national states (bot.core.reminders.digest), as of `today`
        "national_state": occurrence_state(occurrence.status, occurrence.due, occurrence.done_at, today)
        if occurrence and today
        else None,
        "in_progress": bool(occurrence and occurrence.in_progress),
        "note": (occurrence.note or occurrence.progress_note) if occurrence else "",
        "file": occurrence.file_name if occurrence else "",
        "original_due": occurrence.original_due.isoformat() if occurrence and occurrence.original_due else None,
        "days_left": days,  # calendar days from today to the due date (negative: late)
    }
    if calendar is not None:
        shown["working_days_left"] = (
            calendar.working_days_between(today, item.due) if item.due and today else None
        )
    return shown


def to_json(
    question: Question,
    items: list[AnswerItem],
    blocks: list[str],
    directory: Directory,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """The `nhacviec ask --json` shape (DESIGN.md "The command line"), plus what was understood."""
    return {
        "intent": question.intent,
        "agency": directory.full_name(question.agency_id) if question.agency_id is not None else None,
        "agency_asked": question.agency_name_asked,
        "from": question.start.isoformat() if question.start else None,
        "to": question.end.isoformat() if question.end else None,
        "status": question.status,
        "topic": question.topic,
        "asks": question.asks,  # "list" | "when" | "days_left"
        "social": question.social or None,  # "thanks" | "ack" | "bye" | "greeting" for a social turn
        "period_kind": question.period_kind or None,  # "period" | "by" | "from_now"
        "place": question.place_name or None,
        "role": question.role,
        "tasks": [_task_json(item, today, calendar) for item in items],
        "reply": "\n".join(blocks),
        "understood": list(question.understood),
        "understood_line": _("Hiểu là: {pieces}").format(pieces=" · ".join(question.understood))
        if question.understood
        else "",
        "suggestions": list(question.suggestions),
    }
