"""An officer's question in plain Vietnamese → what to look up (agency, period, status, topic) and
what is asked of it (a list, when it is due, how many days are left).

Pure: the directory and `today` are passed in. The question is read on a folded copy whose
characters stay aligned with the original, so the words recognised as a period, a status or a
kind of question can be blanked out before the agency is looked for, and the agency words quoted
back as typed. The steps, in order: a social turn ("cảm ơn nhé") ends the reading; courtesy
("chào bạn, cho mình hỏi … ạ") is blanked; then the kind of question, the period, the status, the
role (chủ trì / phối hợp), the agency (a place named beside it picks that place's tree), the topic.
Never raises: anything not understood ends as intent "unknown" with what *was* understood.
The rules are in the README ("Questions").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.core.i18n import _
from bot.core.lang.agencies import Directory, Resolution, fold_aligned
from bot.core.lang.chat_text import normalize_typing
from bot.core.lang.periods import Period, read_period
from bot.core.lang.social import courtesy_spans, social_turn
from bot.core.text import fold, nfc

MAX_CHARS = 500  # longer messages are pasted text, not questions: read only their start

STATUSES = ("open", "overdue", "due_soon", "done", "all")
ASKS = ("list", "when", "days_left")

# Status phrases on folded text. "chưa xong" is read (and blanked) first, so "xong" inside it is
# not "done"; then the most specific status named wins (overdue, due soon, done, all).
_OPEN = re.compile(
    r"\b(?:chua|con)\s+(?:hoan thanh|xong|lam|thuc hien|nop)\b|\bcon\s+(?:lai|dang)\b|\bcon\s+ton\b(?!\s+dong)"
    r"|\b(?:phai|can|se|nen)\s+(?:duoc\s+)?(?:lam\s+)?(?:xong|hoan thanh|nop|thuc hien)\b"
)
# The words of lateness ("trễ", "chậm tiến độ", "tồn đọng", "nợ đọng", "lỡ hạn") ask what the
# agency itself is late on — its lead tasks; "quá hạn" is the overdue status, leads then partners.
_LATE_WORDS = re.compile(
    r"\b(?:tre|lo|tran)\s+(?:han|deadline|thoi\s+han)\b|\b(?:no|ton)\s+dong\b|\bcham\s+(?:tien\s+do|tre)\b"
    r"|\btre\b(?!\s+(?:em|nho|so sinh|mo coi|tuoi|hoa|trung|trau))"
    r"|\bcham\b(?!\s+(?:soc|diem|lo|chi|dut|nhat|cong|thi|bai|ngon|biem))"
)
_STATUS_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "overdue",
        re.compile(
            r"\b(?:qua|tre|lo|tran)\s+(?:han|deadline|thoi\s+han)\b|\bqua\s+thoi\s+han\b|\b(?:no|ton)\s+dong\b"
            r"|\bcham\s+(?:tien\s+do|tre)\b|\b(?:da|bi)\s+het\s+han\b|\bhet\s+han\s+(?:roi|ma)\b"
            r"|\btre\b(?!\s+(?:em|nho|so sinh|mo coi|tuoi|hoa|trung|trau))"
            r"|\bcham\b(?!\s+(?:soc|diem|lo|chi|dut|nhat|cong|thi|bai|ngon|biem))"
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
# "How many days are left?" and "when is it due?", with the words that only carry the asking.
_DAYS_LEFT = re.compile(
    r"\b(?:con\s+)(?:may|bao nhieu)\s+(?:ngay|hom|tuan|thoi gian)(?:\s+lam viec)?(?:\s+nua)?\b"
    r"|\b(?:may|bao nhieu)\s+(?:ngay|hom)(?:\s+lam viec)?\s+nua\b|\bcon\s+bao\s+lau(?:\s+nua)?\b"
    r"|\bbao\s+lau\s+nua\b|\b(?:may|bao nhieu)\s+ngay\s+(?:nua\s+)?(?:la\s+|thi\s+)?(?:den|toi|het)\s+han\b"
)
_WHEN = re.compile(
    r"\b(?:khi nao|bao gio|luc nao|hom nao|ngay nao|bua nao|thoi diem nao|thang nao|tuan nao|may gio)\b"
    r"|\b(?:thoi han|han chot|han cuoi|deadline|han)\s+(?:la\s+|vao\s+)?(?:ngay\s+)?(?:nao|gi|may)\b"
    r"|^\W*(?:thoi han|han chot|han cuoi|deadline|han)\b|\b(?:thoi han|han chot|han cuoi|deadline)\b"
)
# Words around "when"/"how long" that are not the topic: "hạn", "phải xong", "đến hạn", "nộp".
_ASKING_WORDS = re.compile(
    r"\b(?:la|thi|se)?\s*(?:den|toi|het)\s+han\b|\b(?:phai|can|se)\s+(?:nop|xong|hoan thanh|lam xong|gui)\b"
    r"|\b(?:thoi han|han chot|han cuoi|deadline|han)(?:\s+(?:nop|gui|hoan thanh|lam|xong))?\b"
    r"|(?<!da )(?<!chua )(?<!vua )\b(?:lam xong|xong|hoan thanh|nop|gui)\b"
)
# "kể cả (việc) phối hợp": partners too, where a status would keep the leads only.
_WITH_PARTNERS = re.compile(r"\b(?:ke ca|ca|bao gom(?:\s+ca)?|gom ca|them)\s+(?:(?:cac\s+)?viec\s+)?phoi hop\b")

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
_MY_WORDS = re.compile(r"\b(?:cua\s+)?(?:toi|minh|em|chung toi|don vi toi|co quan toi|tui|phong minh)\b")
_TASK_WORDS = re.compile(r"\b(?:viec|nhiem vu|cong viec|han|deadline)\b")

# Phrases, then words, that carry no topic ("các việc về ISO 9001" → "iso 9001").
_TOPIC_STOP_PHRASES = re.compile(
    r"\b(?:nhiem vu|cong viec|chu tri|phu trach|thuc hien|dam nhan|dam nhiem|chiu trach nhiem|lien quan"
    r"|tim kiem|tra cuu|chu de|noi dung|cho biet|bao nhieu|o dau|the nao|nhu the nao|thoi han|han chot"
    r"|han cuoi|deadline|vay anh|vay chi)\b"
)
TOPIC_STOP_WORDS = frozenset(
    """ai cac nhung viec ve den toi nao gi co khong la cua tim xem cho biet giup voi va thi
    duoc nhe nha a oi ban minh em anh chi hay di o dau sao lam vay han nop phai can xong nua con
    roi vao""".split()
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
    start: date | None = None  # None with `end` set: everything due up to `end` (a by-date)
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
    asks: str = "list"  # "list" | "when" (when is it due) | "days_left" (how many days are left)
    social: str = ""  # a social turn: "thanks" | "bye" | "greeting" | "ack"
    period_kind: str = ""  # "period" | "by" (up to `end`, overdue included) | "from_now"
    place_id: int | None = None  # a place named beside the agency: only that place's tree
    place_name: str = ""
    with_partners: bool = False  # "kể cả phối hợp"
    says_late: bool = False  # "trễ", "chậm", "tồn đọng"…: what the agency itself is late on
    fallback_topic: str = ""  # the words, agency name included, if the name turns out to be a topic


class _Reading:
    """The question as typed (`work`) and folded (`folded`), aligned character by character."""

    def __init__(self, text: str) -> None:
        self.work, self.folded = text, fold_aligned(text)

    def mask(self, span: tuple[int, int], *, hard: bool = True) -> None:
        """Blank out a recognised phrase in both copies (a "|" also ends agency names)."""
        i, j = span
        if j <= i:
            return
        filler = ("|" if hard else " ") + " " * (j - i - 1)
        self.work = self.work[:i] + filler + self.work[j:]
        self.folded = self.folded[:i] + filler + self.folded[j:]

    def take(self, pattern: re.Pattern[str], *, hard: bool = True) -> re.Match[str] | None:
        """The first match of `pattern`, masked."""
        match = pattern.search(self.folded)
        if match is not None:
            self.mask(match.span(), hard=hard)
        return match


def status_label(status: str) -> str:
    return {
        "open": _("chưa xong"),
        "overdue": _("quá hạn"),
        "due_soon": _("sắp đến hạn"),
        "done": _("đã xong"),
        "all": _("tất cả"),
    }[status]


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def period_label(question: Question) -> str:
    """The period of a question in words ("từ 01/03/2022 đến 31/03/2022", "đến hết 15/12/2026"), or ""."""
    if question.end is None:
        return ""
    if question.start is None:
        return _("đến hết {end}").format(end=_d(question.end))
    if question.start == question.end:
        return _("ngày {day}").format(day=_d(question.start))
    return _("từ {start} đến {end}").format(start=_d(question.start), end=_d(question.end))


def _topic_words(original: str, folded: str) -> str:
    """The content words of a question, as typed (the search folds them itself)."""
    masked = _TOPIC_STOP_PHRASES.sub(lambda m: " " * len(m.group()), folded)
    words = [
        original[m.start() : m.end()] for m in _WORD.finditer(masked) if m.group() not in TOPIC_STOP_WORDS
    ]
    return " ".join(words)[:200]


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
    reading = _Reading(normalize_typing(typed))
    question = Question(text=typed, intent="unknown")
    social = social_turn(reading.folded) if status is None else None
    if social is not None:
        question.intent, question.social = "greeting", social
        return question
    for span in courtesy_spans(reading.folded):
        reading.mask(span, hard=False)
    _read_asks(reading, question)
    _read_period(reading, question, today)
    status_named = _read_status(reading, question, status)
    _read_role(reading, question)
    found = _read_agency(reading, question, directory, asker_id)
    _read_topic(reading, question, found, status_named)
    _finish(question, directory, asker_id)
    return question


def _read_asks(reading: _Reading, question: Question) -> None:
    """ "còn mấy ngày" and "hạn … khi nào": what is asked of the tasks found."""
    if reading.take(_DAYS_LEFT) is not None:
        question.asks = "days_left"
    if reading.take(_WHEN) is not None and question.asks == "list":
        question.asks = "when"
    if question.asks != "list":
        for pattern in (_DAYS_LEFT, _WHEN, _ASKING_WORDS):
            while reading.take(pattern, hard=False) is not None:
                pass


_PRONOUN_TOI = re.compile(r"\btôi\b", re.IGNORECASE)


def _read_period(reading: _Reading, question: Question, today: date) -> None:
    # "tôi" (I) folds to "toi", as does "tới" (until): the pronoun never starts a period.
    folded = _PRONOUN_TOI.sub("tui", reading.work)
    folded = reading.folded if folded == reading.work else fold_aligned(folded)
    period: Period | None = read_period(folded, today)
    if period is None:
        return
    question.start, question.end, question.period_kind = period.start, period.end, period.kind
    question.period_words = reading.work[period.span[0] : period.span[1]]
    reading.mask(period.span)


def _read_status(reading: _Reading, question: Question, command_status: str | None) -> bool:
    """The status named (the most specific one wins); a command's own status wins over words."""
    named = "open" if reading.take(_OPEN) is not None else None
    question.says_late = _LATE_WORDS.search(reading.folded) is not None
    found = []
    for candidate, pattern in _STATUS_PATTERNS:
        if reading.take(pattern) is not None:
            found.append(candidate)
            while reading.take(pattern) is not None:
                pass
    specific = [c for c in found if c != "all"]
    if specific:
        named = specific[0]
    elif named is None and found:
        named = "all"
    if command_status is not None:
        question.status = command_status
        return True
    if named is not None:
        question.status = named
    return named is not None


def _read_role(reading: _Reading, question: Question) -> None:
    """Leads or partners: "việc phối hợp" (partners only), "kể cả phối hợp" (both). A question in
    the words of lateness ("trễ", "chậm", "tồn đọng") means the tasks the agency leads unless
    partners are asked for; "quá hạn" lists leads, then partners under their own heading."""
    if reading.take(_WITH_PARTNERS) is not None:
        question.with_partners = True
    else:
        role_words = _ROLE_WORDS.search(reading.folded)
        if role_words is not None and not _ASKS_LEAD.search(reading.folded):
            question.role = "partner" if "phoi hop" in role_words.group() else "lead"
            reading.mask(role_words.span())
    if question.says_late and question.status == "overdue" and question.role is None and not question.with_partners:
        question.role = "lead"


def _read_agency(
    reading: _Reading, question: Question, directory: Directory, asker_id: int | None
) -> tuple[Resolution, str] | None:
    """The agency named, with a place beside it ("sở nội vụ quảng trị") picking that place's tree."""
    found = directory.find_in_text(reading.work, asker_id=asker_id, qualified=True)
    named = found is not None and found[0].agency_id is not None
    rest = found[1] if found is not None and named else reading.work
    place = directory.place_in_text(fold_aligned(rest))
    if place is None:
        return found
    place_id, (i, j) = place
    question.place_id, question.place_name = place_id, directory.full_name(place_id)
    if named and found is not None and found[0].agency_id == place_id:
        question.place_id = None
        return found
    masked = rest[:i] + "|" + " " * (j - i - 1) + rest[j:]
    again = directory.find_in_text(masked, asker_id=place_id, qualified=True)
    if again is not None and again[0].agency_id is not None:
        if again[0].agency_id in directory.descendants(place_id):
            question.place_id = None  # the place's own unit ("phòng nội vụ gio linh")
            return again
        if not named:
            return again
    if named and found is not None:
        return found[0], masked
    return again if again is not None else found


def _wants_topic(question: Question, folded: str) -> bool:
    """Whether the words left are a topic: "ai chủ trì …" (noted on the question), "các việc về …",
    or a question of when or how long (then unresolved agency-like words are topic words too)."""
    question.asks_lead = _ASKS_LEAD.search(folded) is not None
    marker = _TOPIC_MARKERS.search(folded) or _TOPIC_VE.search(folded)
    return question.asks_lead or marker is not None or question.asks != "list"


def _read_topic(
    reading: _Reading, question: Question, found: tuple[Resolution, str] | None, status_named: bool
) -> None:
    """Topic or task list, and whose tasks (a topic with no agency named is searched everywhere)."""
    wants_topic = _wants_topic(question, reading.folded)
    rest_original, rest_folded = reading.work, reading.folded
    if found is not None:
        resolution, rest = found
        if resolution.agency_id is not None:
            question.agency_id = resolution.agency_id
            rest_original, rest_folded = rest, fold_aligned(rest)
        elif not wants_topic:
            question.agency_name_asked = resolution.text
            question.suggestions = list(resolution.suggestions)
            question.fallback_topic = _topic_words(reading.work, reading.folded)
    topic = _topic_words(rest_original, rest_folded)
    lead_words = _ASKS_LEAD.search(rest_folded)
    if lead_words is not None:
        after = lead_words.end()
        topic = _topic_words(rest_original[after:], rest_folded[after:]) or topic
    if wants_topic and topic:
        question.intent, question.topic = "topic", topic  # searched everywhere unless an agency was named
    elif (
        found is not None
        or question.end is not None
        or status_named
        or question.place_id is not None
        or question.asks != "list"
        or _MY_WORDS.search(rest_folded) is not None
        or _TASK_WORDS.search(rest_folded)
    ):
        question.intent = "tasks"
    elif topic and len(topic) >= 3 and not set(fold(topic).split()) <= _SMALL_TALK:
        # A bare phrase ("chữ ký số") is most likely a topic; the answer says if nothing matches.
        question.intent, question.topic, question.guessed_topic = "topic", topic, True


def _finish(question: Question, directory: Directory, asker_id: int | None) -> None:
    """Whose tasks (the asker's when none was named, except for a topic or a place), and what
    was understood, in the order of the answer's first line."""
    if (
        question.agency_id is None
        and question.agency_name_asked is None
        and question.place_id is None
        and question.intent != "topic"
    ):
        question.agency_id, question.own_agency = asker_id, asker_id is not None
    question.understood = understood_pieces(question, directory)
    if question.agency_id is not None:
        question.agency_ids = frozenset(directory.descendants(question.agency_id))


def understood_pieces(question: Question, directory: Directory) -> list[str]:
    """What was understood: agency · place · period · status · role · topic · what is asked."""
    pieces: list[str] = []
    if question.agency_id is not None:
        name = directory.full_name(question.agency_id)
        pieces.append(_("{name} (của bạn)").format(name=name) if question.own_agency else name)
    elif question.intent in ("tasks", "topic") and question.agency_name_asked is None:
        pieces.append(_("mọi cơ quan"))
    if question.place_id is not None:
        pieces.append(_("địa bàn: {place}").format(place=question.place_name))
    if question.end is not None:
        pieces.append(period_label(question))
    if question.intent in ("tasks", "topic"):
        status = status_label(question.status)
        if question.period_kind == "by" and question.status == "open":
            status = _("chưa xong, kể cả quá hạn")
        pieces.append(status)
    if question.role is not None:
        pieces.append(_("chỉ việc phối hợp") if question.role == "partner" else _("chỉ việc chủ trì"))
    elif question.with_partners:
        pieces.append(_("kể cả việc phối hợp"))
    if question.topic:
        pieces.append(_("chủ đề “{topic}”").format(topic=question.topic))
    if question.asks == "when":
        pieces.append(_("hỏi hạn"))
    elif question.asks == "days_left":
        pieces.append(_("hỏi số ngày còn lại"))
    return pieces
