"""A parsed question + the stored tasks → the tasks that answer it, and the reply text.

Pure: tasks and `today` are passed in. Status is judged per occurrence (a quarterly report is
four deliverables; one missed quarter makes the task overdue even when the next is open).
The reply is a list of HTML-safe blocks, one per task, so a long answer is split between tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView
from bot.core.i18n import _, ngettext
from bot.core.lang.agencies import Directory
from bot.core.lang.questions import Question
from bot.core.markup import esc
from bot.core.reminders.digest import report_state
from bot.core.results import occurrence_facts
from bot.core.text import fold_words

DUE_SOON_DAYS = 7
MAX_TITLE = 300  # characters of a title shown in a list (the task itself keeps all of it)
STATES = ("overdue", "due_soon", "later", "done", "continuous")


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
    """The occurrences of a task that the question's period and status select."""
    soon = today + timedelta(days=DUE_SOON_DAYS)

    def in_period(o: OccurrenceView) -> bool:
        return question.start is None or question.end is None or question.start <= o.due <= question.end

    status = question.status
    chosen = []
    for o in task.occurrences:
        if not in_period(o):
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


def select(question: Question, tasks: Iterable[TaskView], today: date) -> list[AnswerItem]:
    """The tasks answering a question, most pressing first (topic questions: best match first)."""
    if question.agency_name_asked and question.agency_id is None:
        return []  # an agency was named and not found: never answer about another one
    pooled = _pool(question, tasks)
    if question.role is not None:
        pooled = [(t, role) for t, role in pooled if role == question.role]
    roles = {t.id: role for t, role in pooled}
    pool = [t for t, _ in pooled]
    if question.intent == "topic":
        items = []
        filtered = question.start is not None or question.status != "open"
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
                items.append(_continuous(task, question, today, roles[task.id]))
        return items
    if question.intent != "tasks":
        return []
    items = []
    for task in pool:
        if not task.occurrences:
            # Continuous work: in a list when no period is asked, or when asked for by name.
            if (question.start is None or question.continuous) and _continuous_status_fits(task, question, today):
                items.append(_continuous(task, question, today, roles[task.id]))
            continue
        if question.continuous:
            continue
        chosen = _matching(question, task, today)
        if chosen:
            items.append(_item(task, chosen, today, roles[task.id]))
    items.sort(key=lambda item: (item.role != "lead", *_sort_key(item)))
    return items


def _continuous(task: TaskView, question: Question, today: date, role: str) -> AnswerItem:
    """A continuous task's item, with its reporting occurrence for the period asked (its result
    or progress shows; `occurrence` is the id to mark it by)."""
    report = task.report_for(question.end if question.end is not None else today)
    return AnswerItem(task, None, "continuous", role=role, occurrence_id=report.id if report else None,
                      occurrence=report)


def _continuous_status_fits(task: TaskView, question: Question, today: date) -> bool:
    """Continuous work is never overdue nor due soon; "đã xong" asks for its done reports."""
    report = task.report_for(question.end if question.end is not None else today)
    done = report is not None and _is_done(report)
    return question.status == "all" or (question.status == "open" and not done) or (
        question.status == "done" and done
    )


def overdue_elsewhere(question: Question, tasks: Iterable[TaskView], today: date) -> int:
    """How many tasks of the asked agency are overdue (for an empty answer: "nothing this month,
    but 3 overdue")."""
    pool = [t for t, role in _pool(question, tasks) if role == (question.role or "lead")]
    return sum(1 for t in pool if any(not _is_done(o) and o.due < today for o in t.occurrences))


# -- topic search ---------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _word_found(word: str, title_words: set[str]) -> bool:
    if word in title_words:
        return True
    if len(word) < 5:
        return False
    return any(
        abs(len(w) - len(word)) <= 1 and Levenshtein.distance(word, w, score_cutoff=1) <= 1
        for w in title_words
    )


def search_topic(topic: str, tasks: Iterable[TaskView], limit: int = 10) -> list[TaskView]:
    """Tasks whose titles speak of `topic`, best first (word overlap, then fuzzy similarity)."""
    query = fold_words(topic)[:200]
    words = _WORD.findall(query)
    if not words:
        return []
    unique = list(dict.fromkeys(words))
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    scored: list[tuple[float, int, TaskView]] = []
    for position, task in enumerate(tasks):
        title = fold_words(task.title)[:2000]
        title_words = set(_WORD.findall(title))
        overlap = sum(1 for w in unique if _word_found(w, title_words)) / len(unique)
        partial = fuzz.partial_ratio(query, title) if len(query) >= 4 else 0.0
        if overlap == 0 and partial < 90:
            continue
        padded = f" {title} "
        phrase = sum(1 for p in pairs if f" {p} " in padded) / len(pairs) if pairs else overlap
        score = 55 * overlap + 20 * phrase + 0.15 * fuzz.token_set_ratio(query, title) + 0.10 * partial
        # The topic is a phrase: every content word of it must be in the title ("chữ ký số" is
        # not a task about "số hóa"), unless the title holds the phrase nearly as typed.
        if len(unique) > 1 and overlap < 1.0 and not (partial >= 95 and len(query) >= 6):
            continue
        scored.append((score, position, task))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [task for _, _, task in scored[:limit]]


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


def _line(item: AnswerItem, today: date) -> str:
    """One task: due date, title, lead and how far the due date is."""
    title = esc(_short(item.task.title))
    parts = [f"• <b>{_d(item.due)}</b> — {title}" if item.due else f"• {title}"]
    lead = item.task.lead.strip()
    if lead:
        parts.append(_("chủ trì: {lead}").format(lead=f"<i>{esc(_short(lead))}</i>"))
    when = _when(item, today)
    if when:
        parts.append(f"({esc(when)})")
    if item.others > 0:
        parts.append(esc(_("và {n} kỳ khác").format(n=item.others)))
    parts.extend(occurrence_facts(item.occurrence))
    return " ".join(parts[:1]) + ("\n   " + " ".join(parts[1:]) if len(parts) > 1 else "")


def _group_title(state: str) -> str:
    return {
        "overdue": _("Quá hạn"),
        "due_soon": _("Sắp đến hạn"),
        "later": _("Sau đó"),
        "done": _("Đã xong"),
        "continuous": _("Thường xuyên, không có hạn cụ thể"),
    }[state]


def period_label(question: Question) -> str:
    """The period of a question in words ("từ 01/03/2022 đến 31/03/2022"), or ""."""
    if question.start is None or question.end is None:
        return ""
    if question.start == question.end:
        return _("ngày {day}").format(day=_d(question.start))
    return _("từ {start} đến {end}").format(start=_d(question.start), end=_d(question.end))


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


def _listing(items: list[AnswerItem], today: date, limit: int, header: str, *, grouped: bool) -> list[str]:
    blocks: list[str] = []
    prefix = header
    current_group = None
    for item in items[:limit]:
        if grouped and item.state != current_group:
            current_group = item.state
            heading = f"<b>{esc(_group_title(item.state))}</b>"
            prefix = f"{prefix}\n\n{heading}" if prefix else heading
        line = _line(item, today)
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
) -> list[str]:
    """The reply: HTML-safe blocks, one per task, headed by what was asked.

    Tasks the agency leads come first; those it coordinates follow under "Phối hợp". `overdue`
    (see `overdue_elsewhere`) turns an empty answer into "nothing then, but n overdue".
    """
    limit = max(1, limit)
    if question.agency_name_asked and question.agency_id is None:
        return _not_found(question)
    if question.intent == "greeting":
        examples = "\n".join(f"• <i>{esc(example)}</i>" for example in example_questions())
        return [
            esc(_("Xin chào! Tôi nhắc và trả lời về các việc trong kế hoạch. Bạn có thể hỏi, ví dụ:"))
            + "\n"
            + examples
        ]
    if question.intent == "unknown":
        return _not_understood(question)
    agency = agency_label or _("mọi cơ quan")
    if question.intent == "topic":
        topic = question.topic or ""
        if not items and question.guessed_topic:
            return _not_understood(question)
        if not items:
            return [esc(_("Không tìm thấy việc nào về “{topic}”.").format(topic=_short(topic)))]
        blocks: list[str] = []
        if question.asks_lead:
            top = items[0].task
            blocks.append(
                _("{lead} chủ trì: {title}").format(
                    lead="<b>" + esc(_short(top.lead) or _("(chưa rõ)")) + "</b>",
                    title=esc(_short(top.title)),
                )
            )
        header = "<b>" + esc(_("Các việc về “{topic}”:").format(topic=_short(topic))) + "</b>"
        return blocks + _listing(items, today, limit, header, grouped=False)
    if not items:
        blocks = [esc(_empty_sentence(question, agency, today))]
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
    details = [d for d in (period_label(question), _status_text(question.status)) if d]
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
    blocks = _listing(leads, today, limit, header, grouped=True) if leads else []
    if partners:
        heading = "<b>" + esc(_("Phối hợp")) + "</b>"
        if not leads:
            heading = f"{header}\n\n{heading}"
        blocks += _listing(partners, today, max(1, limit - len(leads[:limit])), heading, grouped=False)
    return blocks


def _status_text(status: str) -> str:
    return {
        "open": "",
        "overdue": _("quá hạn"),
        "due_soon": _("sắp đến hạn"),
        "done": _("đã xong"),
        "all": _("tất cả"),
    }[status]


def answer(question: Question, tasks: Iterable[TaskView], *, today: date, agency_label: str | None) -> Answer:
    """`select` then `compose`, for callers that want both."""
    items = select(question, tasks, today)
    return Answer(items, compose(question, items, today=today, agency_label=agency_label))


def _national_state(occ: OccurrenceView, today: date) -> str:
    return report_state(occ, today)


def to_json(
    question: Question,
    items: list[AnswerItem],
    blocks: list[str],
    directory: Directory,
    today: date | None = None,
) -> dict[str, Any]:
    """The `nhacviec ask --json` shape (DESIGN.md), plus what was understood."""
    return {
        "intent": question.intent,
        "agency": directory.full_name(question.agency_id) if question.agency_id is not None else None,
        "agency_asked": question.agency_name_asked,
        "from": question.start.isoformat() if question.start else None,
        "to": question.end.isoformat() if question.end else None,
        "status": question.status,
        "topic": question.topic,
        "tasks": [
            {
                "title": item.task.title,
                "lead": item.task.lead,
                "due": item.due.isoformat() if item.due else None,
                "number": item.task.number,
                "plan": item.task.plan,
                "state": item.state,
                "role": item.role,
                "occurrence": item.occurrence_id,
                # one of the four national states (bot.core.reminders.digest), as of `today`
                "national_state": _national_state(item.occurrence, today) if item.occurrence and today else None,
                "in_progress": bool(item.occurrence and item.occurrence.in_progress),
                "note": (item.occurrence.note or item.occurrence.progress_note) if item.occurrence else "",
                "file": item.occurrence.file_name if item.occurrence else "",
                "original_due": item.occurrence.original_due.isoformat()
                if item.occurrence and item.occurrence.original_due
                else None,
            }
            for item in items
        ],
        "reply": "\n".join(blocks),
        "understood": list(question.understood),
        "suggestions": list(question.suggestions),
    }
