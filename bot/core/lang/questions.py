"""An officer's question in plain Vietnamese → what to look up (agency, period, status, topic).

Pure: the directory and `today` are passed in. The question is read on a folded copy whose
characters stay aligned with the original, so the words recognised as a period or a status can
be blanked out before the agency is looked for, and the agency words quoted back as typed.
Never raises: anything not understood ends as intent "unknown" with what *was* understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.core.i18n import _
from bot.core.lang.agencies import Directory, fold_aligned
from bot.core.lang.chat_text import normalize_typing
from bot.core.lang.periods import find_period_span
from bot.core.text import nfc

MAX_CHARS = 500  # longer messages are pasted text, not questions: read only their start

STATUSES = ("open", "overdue", "due_soon", "done", "all")

# Status phrases on folded text, tried in order ("chưa xong" must win over "xong").
_STATUS_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "open",
        re.compile(r"\b(?:chua|con)\s+(?:hoan thanh|xong|lam|thuc hien|nop)\b|\bcon\s+(?:ton|lai|dang)\b"),
    ),
    (
        "overdue",
        re.compile(
            r"\b(?:qua|tre|lo|tran)\s+han\b|\bqua\s+thoi\s+han\b|\b(?:bi|da)\s+tre\b"
            r"|\bcham\s+tien\s+do\b|\bcham\s+tre\b|\bno\s+dong\b|\bcham\b(?!\s+(?:soc|diem|lo|chi|dut|nhat))"
        ),
    ),
    (
        "due_soon",
        re.compile(
            r"\b(?:sap|gan|sap sua)\s+(?:den|toi|het|dao)\s+han\b|\bsap\s+het\s+han\b|\bcan\s+han\b"
            r"|\bsap\s+(?:den|toi)\b|\bsap\s+han\b"
        ),
    ),
    (
        "done",
        re.compile(
            r"\b(?:da|vua)\s+(?:hoan thanh|xong|lam xong|lam|thuc hien|nop)\b|\bhoan thanh\b|\bxong\b"
        ),
    ),
    ("all", re.compile(r"\btat\s+ca\b|\btoan\s+bo\b|\bmoi\s+viec\b")),
)

# "Who leads …?" questions: the answer puts the lead of the best match first.
_ASKS_LEAD = re.compile(
    r"\b(?:ai|don vi nao|co quan nao|noi nao|ben nao|so nao|phong nao)\s+"
    r"(?:la\s+)?(?:chu tri|phu trach|thuc hien|lam|dam nhan|dam nhiem|chiu trach nhiem)\b"
)
_TOPIC_MARKERS = re.compile(
    r"\b(?:cac\s+)?(?:viec|nhiem vu|cong viec|ke hoach)\s+(?:nao\s+)?(?:ve|lien quan(?:\s+(?:den|toi))?)\b"
    r"|\blien quan\s+(?:den|toi)\b|\blien quan\b|^\s*(?:tim|tim kiem|tra cuu)\b|\bve\s+(?:viec|van de)\b"
    r"|\bnoi dung\b|\bchu de\b"
)
_TOPIC_VE = re.compile(r"(?:^|\s)ve\s+\w")
# "các việc phối hợp", "việc … chủ trì": which part of an agency's tasks is asked for.
_ROLE_WORDS = re.compile(
    r"\b(?:(?:cac\s+)?(?:viec|nhiem vu|cong viec)\s+(?:duoc\s+)?)?(?:phoi hop|chu tri)\b(?:\s+thuc\s+hien)?"
)
# "việc thường xuyên", "nhiệm vụ thường xuyên": continuous work asked for by name.
_CONTINUOUS_WORDS = re.compile(r"\b(?:(?:cac\s+)?(?:viec|nhiem vu|cong viec)\s+)?thuong xuyen\b")
_MY_WORDS = re.compile(r"\b(?:cua\s+)?(?:toi|minh|em|chung toi|don vi toi|co quan toi|tui)\b")
_TASK_WORDS = re.compile(r"\b(?:viec|nhiem vu|cong viec|han|deadline)\b")

# Phrases, then words, that carry no topic ("các việc về ISO 9001" → "iso 9001").
_TOPIC_STOP_PHRASES = re.compile(
    r"\b(?:nhiem vu|cong viec|chu tri|phu trach|thuc hien|dam nhan|dam nhiem|chiu trach nhiem|lien quan"
    r"|tim kiem|tra cuu|chu de|noi dung|cho biet|bao nhieu|o dau|the nao|nhu the nao)\b"
)
TOPIC_STOP_WORDS = frozenset(
    """ai cac nhung viec ve den toi nao gi co khong la cua tim xem cho biet giup voi va thi
    duoc nhe a oi ban minh em anh chi hay di o dau sao lam vay""".split()
)
# Messages that are not questions at all.
_SMALL_TALK = frozenset(
    """xin chao chao hello hi alo cam on thanks thank you help giup ok oke vang da uh um test""".split()
)

_WORD = re.compile(r"[\w&]+")


@dataclass
class Question:
    """What a question asks. `agency_ids` is the agency and the units under it."""

    text: str
    intent: str  # "tasks" | "topic" | "greeting" | "unknown"
    agency_id: int | None = None
    agency_name_asked: str | None = None  # words naming an agency that was NOT found
    suggestions: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    status: str = "open"
    topic: str | None = None
    understood: list[str] = field(default_factory=list)
    agency_ids: frozenset[int] = frozenset()
    asks_lead: bool = False  # "ai chủ trì …?"
    own_agency: bool = False  # the asker's agency was implied, not named
    guessed_topic: bool = False  # a bare phrase read as a topic: "not understood" if nothing matches
    period_words: str = ""  # the words that named the period, as typed
    role: str | None = None  # "partner": only tasks coordinated ("việc phối hợp"); "lead": only led ones
    continuous: bool = False  # "việc thường xuyên": only continuous work, whatever the period


def _mask(text: str, folded: str, span: tuple[int, int]) -> tuple[str, str]:
    """Blank out a recognised phrase in both aligned copies (a "|" also ends agency names)."""
    i, j = span
    filler = "|" + " " * (j - i - 1) if j > i else ""
    return text[:i] + filler + text[j:], folded[:i] + filler + folded[j:]


def _status_label(status: str) -> str:
    return {
        "open": _("chưa xong"),
        "overdue": _("quá hạn"),
        "due_soon": _("sắp đến hạn"),
        "done": _("đã xong"),
        "all": _("tất cả"),
    }[status]


def _topic_words(original: str, folded: str) -> str:
    """The content words of a question, as typed (the search folds them itself)."""
    masked = _TOPIC_STOP_PHRASES.sub(lambda m: " " * len(m.group()), folded)
    words = [
        original[m.start() : m.end()] for m in _WORD.finditer(masked) if m.group() not in TOPIC_STOP_WORDS
    ]
    return " ".join(words)[:200]


# Greetings and thanks, folded: answered with a short friendly reply and examples.
_GREETING = re.compile(
    r"^\W*(?:(?:xin\s+)?chao|hello|hi|alo|hey|cam\s+on|thanks?|thank\s+you|tks|thks|ok|oke|okay"
    r"|chuc\s+(?:buoi\s+)?sang(?:\s+tot\s+lanh)?|chao\s+buoi\s+(?:sang|trua|chieu|toi)|good\s+morning|bye|tam\s+biet)"
    r"(?:\s+(?:ban|bot|nhe|nha|a|nhieu|em|anh|chi|nhac\s+viec|moi\s+nguoi|ca\s+nha|rat\s+nhieu|you))*\W*$"
)


def _is_greeting(folded: str) -> bool:
    return bool(_GREETING.match(" ".join(folded.split())))


def parse_question(
    text: str, *, today: date, directory: Directory, asker_id: int | None, status: str | None = None
) -> Question:
    """Read a question. Without an agency it is about the asker's own agency.

    `status` is a command's own (/viec "open", /quahan "overdue", /sapden "due_soon"): the text is
    then only what was typed after the command (an agency, a period), possibly nothing.
    """
    try:
        return _parse(text, today=today, directory=directory, asker_id=asker_id, status=status)
    except Exception:  # a question must never crash the bot; answer "not understood" instead
        return Question(text=nfc(text)[:MAX_CHARS], intent="unknown", agency_id=asker_id)


def _parse(
    text: str, *, today: date, directory: Directory, asker_id: int | None, status: str | None = None
) -> Question:
    typed = nfc(text)[:MAX_CHARS]
    # "quas hanj", "vuj", "k", "j": read as meant (the question keeps what was typed).
    original = normalize_typing(typed)
    work, folded = original, fold_aligned(original)
    question = Question(text=typed, intent="unknown")
    if _is_greeting(folded):
        question.intent = "greeting"
        return question
    understood: list[str] = []

    found_period = find_period_span(folded, today)
    if found_period is not None:
        question.start, question.end, span = found_period
        question.period_words = original[span[0] : span[1]]
        work, folded = _mask(work, folded, span)
        understood.append(
            _("thời gian {start} – {end}").format(
                start=question.start.strftime("%d/%m/%Y"), end=question.end.strftime("%d/%m/%Y")
            )
        )

    status_named = False
    for named, pattern in _STATUS_PATTERNS:
        match = pattern.search(folded)
        if match:
            question.status = named
            status_named = True
            work, folded = _mask(work, folded, match.span())
            if status is None:
                understood.append(_("trạng thái: {status}").format(status=_status_label(named)))
            break
    if status is not None:  # the command's status wins over words typed after it
        question.status = status
        status_named = True
        if status != "open":
            understood.append(_("trạng thái: {status}").format(status=_status_label(status)))

    role_words = _ROLE_WORDS.search(folded)
    if role_words is not None and not _ASKS_LEAD.search(folded):
        question.role = "partner" if "phoi hop" in role_words.group() else "lead"
        work, folded = _mask(work, folded, role_words.span())
        understood.append(_("chỉ việc phối hợp") if question.role == "partner" else _("chỉ việc chủ trì"))

    continuous_words = _CONTINUOUS_WORDS.search(folded)
    if continuous_words is not None:
        question.continuous = True
        work, folded = _mask(work, folded, continuous_words.span())
        understood.append(_("việc thường xuyên"))

    asks_lead = _ASKS_LEAD.search(folded)
    topic_marker = _TOPIC_MARKERS.search(folded) or _TOPIC_VE.search(folded)
    question.asks_lead = asks_lead is not None
    wants_topic = asks_lead is not None or topic_marker is not None

    found = directory.find_in_text(work, asker_id=asker_id)
    rest_original, rest_folded = work, folded
    if found is not None:
        resolution, rest = found
        if resolution.agency_id is not None:
            question.agency_id = resolution.agency_id
            understood.append(_("cơ quan: {name}").format(name=directory.full_name(resolution.agency_id)))
            rest_original, rest_folded = rest, fold_aligned(rest)
        elif not wants_topic:
            question.agency_name_asked = resolution.text
            question.suggestions = list(resolution.suggestions)

    my_words = _MY_WORDS.search(rest_folded)
    if question.agency_id is None and question.agency_name_asked is None:
        question.agency_id = asker_id
        question.own_agency = True

    topic = _topic_words(rest_original, rest_folded)
    lead_words = _ASKS_LEAD.search(rest_folded)
    if lead_words is not None:
        after = lead_words.end()
        topic = _topic_words(rest_original[after:], rest_folded[after:]) or topic
    if wants_topic and topic:
        question.intent = "topic"
        question.topic = topic
        if found is None or found[0].agency_id is None:
            # A topic is searched everywhere unless an agency was named.
            question.agency_id = None
            question.own_agency = False
        understood.append(_("chủ đề: {topic}").format(topic=topic))
    elif (
        found is not None
        or found_period is not None
        or status_named
        or question.continuous
        or my_words is not None
        or _TASK_WORDS.search(rest_folded)
    ):
        question.intent = "tasks"
    elif topic and len(topic) >= 3 and not set(fold_aligned(topic).split()) <= _SMALL_TALK:
        # A bare phrase ("chữ ký số") is most likely a topic; the answer says if nothing matches.
        question.intent = "topic"
        question.topic = topic
        question.guessed_topic = True
        question.agency_id = None
        question.own_agency = False

    if question.own_agency and question.intent == "tasks" and question.agency_id is not None:
        understood.append(_("cơ quan: {name} (của bạn)").format(name=directory.full_name(question.agency_id)))
    if question.agency_id is not None:
        question.agency_ids = frozenset(directory.descendants(question.agency_id))
    question.understood = understood
    return question
