"""Tasks from the text of a plan, in the layouts real plans use.

A plan written as prose assigns work in a few recurring shapes, and this module reads each:
- a numbered item followed by field lines ("- Đơn vị chủ trì thực hiện: …", "- Thời gian: …");
- a section per unit ("2.2.1. Văn phòng Ban chủ trì tham mưu:", "a) Sở Tư pháp:") whose
  bullets are that unit's tasks;
- a sentence that gives a unit a duty or a report with a date ("Văn phòng Sở có trách nhiệm …",
  "Các phòng … báo cáo … trước ngày 10/12 hằng năm").
Purpose, requirement, legal-basis and budget sections are never tasks, and an item that names
no unit is content, not a task. Lines are matched on folded text with tolerance for scanner
damage ("Pon vi chu tri thyc hién"), because many plans reach the office as scans. Pure code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.core.domain import Deadline, Kind, ParsedTask
from bot.core.i18n import _
from bot.core.importing.blocks import DocBlock
from bot.core.importing.leads import is_agency_name, split_agencies
from bot.core.importing.options import Dating
from bot.core.importing.plan_facts import match_known
from bot.core.lang import vocabulary
from bot.core.lang.agencies import fold_aligned
from bot.core.repair.tokens import OCR_NUMERAL
from bot.core.text import fold, fold_words, nfc

# ----------------------------------------------------------------------------- lines → blocks

_ROMAN = re.compile(r"^(?=[IVX])[IVXl1]{1,5}\s*[.)]\s*")
# a Roman numeral as an OCR without Vietnamese may write it ("Iv.", "v.", "Vv.", "Ill."): a
# section's number only before an upper-case heading
_ROMAN_READ = re.compile(rf"^{OCR_NUMERAL}\s*[.)]\s+")
_NUMERIC = re.compile(r"^(\d{1,3}(?:\s?\.\s?\d{1,2}){0,4})\s*[.)](?![\d/])\s*")
_ALPHA = re.compile(r"^([a-zđ])\s*\)\s*")
_DASH = re.compile(r"^(?:[-–—•·▪●○]|\*(?=\s))\s*")
_PLUS = re.compile(r"^\+\s*")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_EMPHASIS = re.compile(r"\*{1,3}|_{2,3}")
_END_OF_BODY = re.compile(r"^n\W?[oơ]\W?'?\s?i\s*n\S{0,4}(\s*\S{0,3})?\s*:")
_APPENDIX = re.compile(r"^phu\s*luc\b")

LEVEL_TOP, LEVEL_BOLD, LEVEL_ALPHA, LEVEL_DASH, LEVEL_PLUS, LEVEL_TEXT = 0, 5, 6, 7, 8, 9


@dataclass
class Item:
    """One item of the plan: its marker level and its physical lines (source label, text)."""

    level: int
    lines: list[tuple[str, str]] = field(default_factory=list)
    heading: bool = False
    _text: tuple[int, str] = field(default=(-1, ""), init=False, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The item's lines as one text, computed again only when lines were added (readers
        look at it many times, and a long item must not be joined again each time)."""
        if self._text[0] != len(self.lines):
            self._text = (len(self.lines), nfc(" ".join(text for _label, text in self.lines)))
        return self._text[1]

    @property
    def source(self) -> str:
        return self.lines[0][0]


def _is_upper(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 4 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.75


def _clean_line(raw: str) -> str:
    text = nfc(raw)
    text = _MD_HEADING.sub("", text)
    if text.startswith("* ") or text.startswith("- "):
        return text[:2] + _EMPHASIS.sub("", text[2:]).strip()
    return nfc(_EMPHASIS.sub("", text))


def _marker(text: str) -> tuple[int, str, bool]:
    """(level, text without marker, is a heading) of one line."""
    match = _ROMAN.match(text)
    if match and len(text) > match.end():
        rest = text[match.end() :]
        return LEVEL_TOP, rest, True
    match = _ROMAN_READ.match(text)
    if match and len(text) - match.end() < 100 and _is_upper(text[match.end() :]):
        return LEVEL_TOP, text[match.end() :], True
    match = _NUMERIC.match(text)
    if match:
        depth = match[1].count(".") + 1
        rest = text[match.end() :]
        upper = len(rest) < 100 and _is_upper(rest)
        return (LEVEL_TOP if upper else depth), rest, upper
    match = _ALPHA.match(text)
    if match:
        return LEVEL_ALPHA, text[match.end() :], False
    match = _DASH.match(text)
    if match and len(text) > match.end():
        return LEVEL_DASH, text[match.end() :], False
    match = _PLUS.match(text)
    if match:
        return LEVEL_PLUS, text[match.end() :], False
    if len(text) < 100 and _is_upper(text):
        return LEVEL_TOP, text, True
    return LEVEL_TEXT, text, False


def split_items(lines: Sequence[tuple[str, str]]) -> list[Item]:
    """Join wrapped lines into items; a marker, or a blank line after a full stop, starts a new one.

    Scans break paragraphs at every printed line and at page ends, so a line without a marker
    continues the item above unless the item ended a sentence and a blank line follows.
    The signature block ("Nơi nhận:") ends the body; a "Phụ lục" heading starts it again.
    """
    blocks: list[Item] = []
    blank = False
    stopped = False
    # what the current item's text holds, kept as lines are added (joining it again for every
    # line would be quadratic in an item's length): unclosed "(" and its last line
    unclosed, tail = 0, ""
    for label, raw in lines:
        text = _clean_line(raw)
        if not text:
            blank = True
            continue
        folded = fold(text)
        if stopped:
            if _APPENDIX.match(fold_words(text)):
                stopped = False
            else:
                continue
        if len(text) < 30 and _END_OF_BODY.match(folded):
            stopped = True
            continue
        level, rest, heading = _marker(text)
        current = blocks[-1] if blocks else None
        open_paren = current is not None and unclosed > 0
        # the suffixes looked for hold no space, so the last non-empty line ends as the text does
        continues = (open_paren and level in (LEVEL_TEXT, LEVEL_DASH)) or (
            level == LEVEL_TEXT
            and current is not None
            and not (current.heading and not tail.endswith((",", "-")))
            and not (blank and tail.endswith((".", ":", ";", "!", "?", "./.")) and rest[:1].isupper())
        )
        added = rest if not continues or level == LEVEL_TEXT else text
        if continues and current is not None:
            current.lines.append((label, added))
        else:
            blocks.append(Item(level, [(label, added)], heading))
            unclosed, tail = 0, ""
        part = nfc(added)
        unclosed += part.count("(") - part.count(")")
        tail = part or tail
        blank = False
    return blocks


# ----------------------------------------------------------------------------- vocabulary

_FIELD_LABELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "lead",
        (
            "don vi chu tri thuc hien",
            "don vi chu tri tham muu thuc hien",
            "don vi chu tri tham muu",
            "co quan chu tri tham muu",
            "co quan chu tri tham muu thuc hien",
            "don vi chu tri",
            "co quan chu tri",
            "co quan chu tri thuc hien",
            "chu tri thuc hien",
            "chu tri",
            "don vi thuc hien",
            "co quan thuc hien",
            "bo phan chu tri",
            "trach nhiem thuc hien",
            "phan cong thuc hien",
        ),
    ),
    (
        "partners",
        (
            "don vi phoi hop",
            "co quan phoi hop",
            "phoi hop thuc hien",
            "phoi hop",
            "don vi phoi hop thuc hien",
        ),
    ),
    (
        "deadline",
        (
            "thoi gian thuc hien",
            "thoi gian hoan thanh",
            "thoi han hoan thanh",
            "thoi han",
            "thoi gian",
            "tien do thuc hien",
            "tien do hoan thanh",
            "thoi gian trinh",
        ),
    ),
    ("title", ("noi dung", "noi dung cong viec", "noi dung hoat dong", "noi dung thuc hien", "ten nhiem vu", "nhiem vu")),
    ("output", ("ket qua thuc hien", "san pham", "ket qua san pham", "san pham dau ra", "ket qua dau ra", "hinh thuc san pham")),
    ("note", ("ghi chu", "kinh phi", "kinh phi thuc hien", "nguon kinh phi")),
)
_SKIP_HEADINGS = ("muc dich", "yeu cau", "can cu", "kinh phi", "muc tieu", "quan diem", "ket qua dat duoc")
_AGENCY_HEADS = vocabulary.NAME_STARTS + vocabulary.ROLE_STARTS
_NOT_AGENCY = vocabulary.NOT_NAME_STARTS
# Bodies whose name has no capitalised word after its type ("Công an tỉnh", "Ủy ban nhân dân các
# xã, phường", "Bộ Chỉ huy Quân sự tỉnh"), and the words that introduce a unit in a heading.
_NAMED_BODIES = (
    "uy ban nhan dan",
    "cong an",
    "bo chi huy",
    "ban chi dao",
    "to cong tac",
    "hoi dong",
    "thanh vien",
    "truong ban",
    "pho truong ban",
    "thuong truc",
    "mat tran",
    "vien kiem sat",
    "toa an",
    "doanh nghiep",
    "cac doanh nghiep",
)
# What "Các …" must name to be units ("Các sở, ban, ngành", "Các cơ quan", "Các Bộ").
_UNIT_NOUNS = frozenset(
    "so ban nganh co quan don vi phong bo cuc vu hoi doan to doi xa phuong huyen tinh dia phuong "
    "doanh nghiep lien doan truong trung tam chi cuc thanh vien cap tieu ban luc luong".split()
)
_UNIT_INTRO = re.compile(r"^\W*(?:de nghi|trach nhiem cua|nhiem vu cua|giao)\s+", re.IGNORECASE)
_COLLECTIVE = re.compile(r"^(?:(?:thu )?truong |lanh dao )?cac\b")
_DUTY = re.compile(
    r"^(?:c\S{0,2} trach nhi\S{0,2}m|co trach nhiem|chiu trach nhiem|duoc giao|chu tri|la co quan|la don vi)\b"
)
_DUTY_PREFIX = re.compile(
    r"^(?:c\S{0,2} trach nhi\S{0,2}m|co trach nhiem|chiu trach nhiem|duoc giao|la co quan[^,;:]*?,|la don vi[^,;:]*?,)\s*:?\s*"
)
_VERBS = (
    "co trach nhiem",
    "chiu trach nhiem",
    "duoc giao",
    "chu tri",
    "chu dong",
    "phoi hop",
    "can cu",
    "thuong xuyen",
    "bao cao",
    "tong hop",
    "theo doi",
    "don doc",
    "kiem tra",
    "huong dan",
    "tham muu",
    "xay dung",
    "trien khai",
    "thuc hien",
    "to chuc",
    "tiep tuc",
    "giup",
    "la co quan",
    "la don vi",
    "nghien cuu",
    "rao soat",
    "ra soat",
    "cap nhat",
    "dam bao",
    "tang cuong",
    "chi dao",
    "tien hanh",
    "de xuat",
    "khan truong",
    "kip thoi",
    "xem xet",
    "dang tai",
    "phan cong",
)
_VERB_RE = re.compile(
    r"(?<![\w&])(?:b\wo\s+c\w{1,2}o|c\S{0,2}\s+trach\s+nhi\S{0,2}m|chiu\s+trach\s+nhi\S{0,2}m|"
    + "|".join(re.escape(v) for v in _VERBS)
    + r")(?![\w&])"
)
_UNIT_TAIL = re.compile(
    r"(?<![\w&])(?:chu tri|co trach nhiem|chiu trach nhiem|thuc hien|tham muu)(?![\w&]).*$"
)

# Deadline phrases inside a sentence (on aligned folded text). "trong năm 2022" inside a
# sentence tells the scope, not a due date, so only explicit deadline words are taken.
_DATE_PART = r"\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{4})?"
_EXPLICIT = re.compile(
    r"(?:tr[uwo]\S{0,3}(?=\s)|cham nhat(?:\s+(?:la|vao))?|han chot|hoan thanh tr[uwo]\S{0,3}|tu nay den|den)\s*(?:ngay\s*)?"
    + _DATE_PART
    + r"(?:\s+(?:hang|hang)\s+nam)?"
    + r"|(?:truoc|cham nhat(?:\s+(?:la|vao))?|trong)\s+ngay\s+\d{1,2}\s+thang\s+\d{1,2}(?:\s+nam\s+\d{4})?"
)
_QUARTER = re.compile(
    r"(?:(?:trong|truoc|cuoi|hoan thanh trong|hoan thanh truoc|vao)\s+)?quy\s+[ivxl1-4]{1,4}(?![\w])"
    r"(?:\s*(?:-|–|,|va|den)\s*(?:quy\s+)?[ivxl1-4]{1,4}(?![\w]))*(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
)
_MONTH = re.compile(r"(?:(?:trong|truoc|cuoi|hoan thanh trong|vao)\s+)thang\s+\d{1,2}\s*/\s*\d{4}")
_RECURRING = re.compile(
    r"(?:dinh ky\s*,?\s*)?(?:(?:hang|hang)\s+(?:thang|quy|nam)|(?:sau|6)\s+thang(?:\s+(?:mot lan|dau nam|cuoi nam))?)"
    r"(?:\s*(?:,|va|hoac)\s*(?:(?:hang|hang)\s+(?:thang|quy|nam)|(?:sau|6)\s+thang|dinh ky|dot xuat))*"
)


# "trước ngày 15 hằng tháng": a day in every month (quarter, year) — recurring with its day.
_DAY_EVERY = re.compile(
    r"(?:dinh ky\s*,?\s*)?(?:hang\s+(?:thang|quy|nam)\s*\(?\s*)?(?:truoc|cham nhat(?:\s+(?:la|vao))?|vao)\s+ngay\s+\d{1,2}"
    r"\s+(?:cua\s+)?(?:hang|moi)\s+(?:thang|quy|nam)\)?"
)


@dataclass(frozen=True)
class Phrase:
    start: int
    end: int
    explicit: bool  # a date or a quarter, not just a recurrence


def deadline_phrases(text: str) -> list[Phrase]:
    """Deadline phrases found in a sentence, in order, without overlaps.

    The patterns are tried in order of precedence; a later pattern's match that overlaps a phrase
    already kept is dropped (`without_overlaps`: one sweep, linear in the number of phrases).
    """
    folded = fold_aligned(text)
    found: list[Phrase] = []
    for pattern, explicit in (
        (_DAY_EVERY, False),
        (_EXPLICIT, True),
        (_QUARTER, True),
        (_MONTH, True),
        (_RECURRING, False),
    ):
        candidates: list[Phrase] = []
        for match in pattern.finditer(folded):
            if not explicit and pattern is not _DAY_EVERY:
                # A recurrence is a deadline only when it says "định kỳ" or follows a report/duty verb.
                before = folded[max(0, match.start() - 60) : match.start()]
                if "dinh ky" not in match[0] and not _REPORT_BEFORE.search(before):
                    continue
            candidates.append(Phrase(match.start(), match.end(), explicit))
        found = without_overlaps(found, candidates)
    return found


_REPORT_BEFORE = re.compile(r"bao cao|gui|tong hop")

# The most text between two phrases of one recurring report's run of deadlines ("hằng tháng
# (trước ngày 18 hằng tháng), 6 tháng (trước ngày 18/5), tổng kết năm (…)"): a clause, not a page.
# A run is a deadline, never more than `RUN_LONGEST` characters.
RUN_GAP, RUN_LONGEST = 300, 1000


def phrase_run(phrases: Sequence[Phrase]) -> Phrase:
    """The run of `phrases` (sorted, at least one) from the first, as one phrase: the phrases
    that follow one another with at most `RUN_GAP` characters between them."""
    end = phrases[0].end
    for phrase in phrases[1:]:
        if phrase.start - end > RUN_GAP or phrase.end - phrases[0].start > RUN_LONGEST:
            break
        end = phrase.end
    return Phrase(phrases[0].start, end, False)


def without_overlaps(kept: Sequence[Phrase], candidates: Sequence[Phrase]) -> list[Phrase]:
    """`kept` (sorted, disjoint) with each of `candidates` (sorted, disjoint) that overlaps none
    of `kept`, in order: one sweep over both lists, so each phrase is compared a bounded number
    of times (never each with every earlier one)."""
    out: list[Phrase] = []
    i = 0
    for candidate in candidates:
        # the kept phrases that end before the candidate starts come first, unchanged
        while i < len(kept) and kept[i].end <= candidate.start:
            out.append(kept[i])
            i += 1
        if i < len(kept) and kept[i].start < candidate.end:
            continue  # overlaps kept[i] (the first kept phrase that ends after it starts)
        out.append(candidate)
    out.extend(kept[i:])
    return out


# ----------------------------------------------------------------------------- recognisers


def field_of(block: Item) -> tuple[str, str] | None:
    """("lead"|"partners"|"deadline"|"output"|"note", value) when the item is a field line."""
    text = block.text
    colon = text.find(":")
    if colon <= 0 or colon > 60:
        return None
    label = fold_words(text[:colon])
    if not label or len(label.split()) > 8:
        return None
    # The label vocabulary is exact; a near miss is accepted only as scanner damage (the same
    # words, letters off inside them), so "Nội dung thực hiện" is never read as "Cơ quan thực hiện".
    best: tuple[float, str] | None = None
    for name, labels in _FIELD_LABELS:
        for candidate in labels:
            if label == candidate:
                return name, nfc(text[colon + 1 :]).strip(" .;")
            got, want = label.split(), candidate.split()
            if len(got) != len(want) or any(
                Levenshtein.normalized_similarity(a, b) < 0.5 for a, b in zip(got, want, strict=True)
            ):
                continue  # scanner damage changes letters inside words, not whole words
            score = fuzz.ratio(label, candidate)
            if best is None or score > best[0]:
                best = (score, name)
    if best and best[0] >= 80:
        return best[1], nfc(text[colon + 1 :]).strip(" .;")
    return None


_LEAD_AND_PARTNERS = re.compile(
    r"^(?P<lead>.+?)\s+chu tri\b[\s,;:]*(?:(?:va\s+)?phoi hop\s+(?:chat che\s+)?(?:voi\s+)?(?P<partners>.*))?$"
)


def lead_and_partners(text: str) -> tuple[str, str]:
    """A prose lead field: "Sở Nội vụ chủ trì, phối hợp với các sở, ngành …" → (lead, partners)."""
    text = nfc(text).strip(" .;")
    folded = fold_aligned(text)
    match = _LEAD_AND_PARTNERS.match(folded)
    if match is None:
        found = _subject_and_rest(text) if len(folded.split()) > 6 else None
        if found is not None:
            # "Sở KH&CN tiến hành rà soát …": the agency is the subject, the rest is text
            return found[0], ", ".join(receivers(found[1]))
        return text, ""
    lead = nfc(text[: match.end("lead")]).strip(" ,;:")
    partners = nfc(text[match.start("partners") :]).strip(" ,;:.") if match["partners"] else ""
    partners = (
        re.split(r"\s+(?:để|trong việc|thực hiện|triển khai|tổ chức)\s", partners)[0] if partners else ""
    )
    return lead, partners


Field = tuple[str, str, list[Item]]  # (name, value, the items listed under an empty label)


def field_group(blocks: Sequence[Item], index: int) -> tuple[list[Field], int] | None:
    """The field lines under item `index` ("- Nội dung: …", "- Cơ quan thực hiện: …", "- Thời
    gian: …") and the index after them; a label with no value owns the deeper items below it."""
    block = blocks[index]
    if field_of(block) is not None:
        return None
    fields: list[Field] = []
    cursor = index + 1
    while cursor < len(blocks):
        found = field_of(blocks[cursor])
        if found is None:
            break
        name, value = found
        label_level = blocks[cursor].level
        cursor += 1
        items: list[Item] = []
        if not value:
            while (
                cursor < len(blocks)
                and field_of(blocks[cursor]) is None
                and (blocks[cursor].level > label_level or LEVEL_DASH <= blocks[cursor].level < LEVEL_TEXT)
                and not blocks[cursor].heading
            ):
                items.append(blocks[cursor])
                cursor += 1
        fields.append((name, value, items))
    if not any(name in ("lead", "deadline") for name, _v, _i in fields):
        return None
    if block.heading and not any(name == "lead" for name, _v, _i in fields):
        return None  # "THỜI GIAN VÀ PHẠM VI" over "- Thời gian: …": a section, not a task
    return fields, cursor


def _field_tasks(ctx: _Context, block: Item, fields: list[Field], unit: str) -> None:
    """Tasks of one item with its field group: one per listed content item, else the item."""
    values: dict[str, str] = {}
    lists: dict[str, list[Item]] = {}
    for name, value, items in fields:
        if value:
            values.setdefault(name, value)
        if items:
            lists.setdefault(name, items)
    inline = inline_unit(block)
    titles: list[tuple[str, str]] = []  # (title, source)
    if values.get("title"):
        titles.append((values["title"], block.source))
    elif lists.get("title"):
        titles.extend((item.text, item.source) for item in lists["title"])
    else:
        titles.append((inline[1] if inline else block.text, block.source))
    lead, partners = lead_and_partners(values.get("lead", ""))
    extra: list[Item] = []
    if not lead and lists.get("lead"):
        first, *others = lists["lead"]
        lead, partners = lead_and_partners(first.text)
        extra = others
    if not lead:
        lead = inline[0] if inline else unit
    if values.get("partners"):
        partners = values["partners"]
    deadline = values.get("deadline", "")
    for title, source in titles:
        phrase_text = deadline
        if not phrase_text:
            phrases = [p for p in deadline_phrases(title) if p.explicit]
            phrase_text = title[phrases[-1].start : phrases[-1].end] if phrases else ""
        ctx.add(
            _first_sentence(title),
            lead,
            source,
            partners=partners,
            deadline=phrase_text,
            output=values.get("output", ""),
            note=values.get("note", ""),
        )
    for item in extra:
        found = _subject_and_rest(item.text)
        if found is not None:
            ctx.add(item.text, found[0], item.source, deadline=deadline)


def _starts_with_agency(folded_words: str, *, strict_case: str | None = None) -> bool:
    """Does a (folded, word-split) text start like an agency name ("Văn phòng Sở", "S& Nội vụ")?"""
    if not folded_words or any(
        folded_words.startswith(bad + " ") or folded_words == bad for bad in _NOT_AGENCY
    ):
        return False
    words = folded_words.split()
    first = words[0]
    if (re.fullmatch(r"s[^\w\s]?\w?|s", first) and len(first) <= 3 and len(words) >= 2) or re.fullmatch(
        r"s[&(]\w{3,}", first
    ):
        head_len = 1  # "Sở" read as "S&", "Sd", "S¢"; "S&Nivii" run together
    else:
        head_len = 0
        for head in _AGENCY_HEADS:
            head_words = head.split()
            got = " ".join(words[: len(head_words)])
            if got == head or (
                len(head) >= 5
                and len(got) == len(head)
                and first not in vocabulary.LEVELS  # "Phường Trúc Lâm" is a place, not "Thường trực"
                and Levenshtein.normalized_similarity(got, head) >= 0.8
            ):  # scanner damage substitutes letters; "phường" is not a damaged "phòng"
                head_len = len(head_words)
                break
    if not head_len:
        return False
    if folded_words in vocabulary.ROLE_STARTS:
        return False  # "CHỦ TỊCH" over a signature: a person's title alone names no unit
    if strict_case is not None:
        # An agency name has a capitalised word after its type word ("Thanh tra Ban", not
        # "Thanh tra, kiểm tra"); "Các phòng, đơn vị" is a collective name.
        rest = strict_case.split()[head_len:]
        if rest and rest[0][:1] in ",;":
            return False
        if words[0] == "cac" and len(words) > 1 and words[1] not in _UNIT_NOUNS:
            return False  # "Các thông số", "Các sản phẩm": not units
        collective = words[0] in ("cac", "truong", "thu", "lanh") or folded_words.startswith(_NAMED_BODIES)
        if not collective and rest and not any(word[:1].isupper() or "&" in word for word in rest[:4]):
            return False
    return True


def unit_heading(block: Item, next_block: Item | None) -> tuple[str, list[tuple[str, str]]] | None:
    """(unit name, body lines) when an item opens a unit's section, e.g. "3. Sở Tư pháp:"."""
    if block.level in (LEVEL_TEXT, LEVEL_PLUS) or not block.lines:
        return None
    first = block.lines[0][1]
    name_lines = 1
    while first.rstrip().endswith((";", ",")) and name_lines < len(block.lines) and name_lines < 3:
        first = f"{first} {block.lines[name_lines][1]}"
        name_lines += 1
    text = nfc(first)
    body = block.lines[name_lines:]
    if text.endswith(":"):
        text = text[:-1]
    elif body or (next_block is not None and next_block.level > block.level):
        pass
    else:
        return None
    if block.level == LEVEL_DASH and not first.rstrip().endswith(":"):
        return None
    if block.heading and any(
        word in fold_words(text) for word in ("thuc hien", "nhiem vu", "to chu", "giai phap", "noi dung")
    ):
        return None
    if body and not first.rstrip().endswith(":"):
        # A short line over a paragraph is a heading; a long one is the paragraph's first line.
        if len(first) > 0.7 * max(len(line) for _label, line in body) or len(fold_words(first).split()) > 10:
            return None
    if (
        first.rstrip().endswith(":")
        and not body
        and next_block is not None
        and next_block.level > block.level
        and not block.heading
    ):
        # "2. Sở Giáo dục và Đào tạo chủ trì, phối hợp với …:" over the unit's items
        found = _subject_and_rest(text)
        if found is not None and not _COLLECTIVE.match(fold_words(found[0])):
            return strip_unit_intro(found[0]), []
    introduced = strip_unit_intro(text) != text and fold_words(text).startswith(("trach nhiem", "nhiem vu"))
    text = strip_unit_intro(text)
    text = nfc(re.sub(r"\s*\([^)]*\)\s*", " ", text))
    folded = fold_aligned(text)
    tail = _UNIT_TAIL.search(folded)
    if (
        tail
        and folded[tail.start() :].startswith("tham muu")
        and folded[: tail.start()].rstrip().endswith("quan")
    ):
        tail = None  # "các cơ quan tham mưu quản lý ngành": a noun, not "X tham mưu …"
    name = text[: tail.start()] if tail else text
    name = nfc(name).strip(" :;,.-–")
    words = fold_words(name)
    if not words or len(words.split()) > 24 or "." in name.rstrip(".")[-3:]:
        return None
    if not introduced and not _starts_with_agency(words, strict_case=name):
        return None
    if tail and len(fold_words(text[tail.start() :]).split()) > 6:
        return None  # "Sở X chủ trì triển khai …" is a sentence, not a heading
    if not body and (next_block is None or next_block.level <= block.level):
        return None
    return name, body


def strip_unit_intro(text: str) -> str:
    """A unit's name without what introduces it: "Đề nghị X" is X, "Trách nhiệm của X" is X."""
    match = _UNIT_INTRO.match(fold(text))
    if match:
        cut = len(fold_words(text[: match.end()]).split())
        return nfc(" ".join(text.split()[cut:]))
    return text


_INLINE_UNIT = re.compile(r"^([^:;.]{3,140}?):\s+(\S.{10,})$", re.S)


def inline_unit(block: Item) -> tuple[str, str] | None:
    """(unit, task text) for an item led by its unit: "+ Sở Xây dựng: hướng dẫn …"."""
    if len(block.lines) >= 2 and block.lines[0][1].rstrip().endswith(":"):
        label, rest = block.lines[0][1].rstrip()[:-1], nfc(" ".join(t for _l, t in block.lines[1:]))
    else:
        match = _INLINE_UNIT.match(block.text)
        if match is None:
            return None
        label, rest = match[1], match[2]
    label = strip_unit_intro(nfc(label))
    folded = fold_aligned(label)
    tail = _UNIT_TAIL.search(folded) or re.search(r"(?<![\w&])phoi hop(?![\w&])", folded)
    name = nfc(label[: tail.start()] if tail else label).strip(" :;,.-–")
    words = fold_words(name)
    if not words or len(words.split()) > 18 or not _starts_with_agency(words, strict_case=name):
        return None
    if field_of(block) is not None:
        return None
    return name, rest


# A plural marker right before a verb's word: "các tổ chức", "những đơn vị thực hiện"… a noun.
_PLURAL_BEFORE = re.compile(r"(?<![\w&])(?:cac|nhung)\s+$")


def _subject_and_rest(text: str) -> tuple[str, str, bool] | None:
    """(subject, what it must do, told explicitly) for "Giao X …" / "X có trách nhiệm …" sentences."""
    folded = fold_aligned(text)
    offset = 0
    told = False
    match = re.match(r"\W*(?:giao|de nghi|yeu cau)\s+(?:cho\s+)?", folded)
    if match:
        offset, told = match.end(), True
    verb = _VERB_RE.search(folded, offset)
    while verb is not None and (
        vocabulary.is_bare_kind(fold_words(text[offset : verb.start()]))
        or _PLURAL_BEFORE.search(folded, 0, verb.start())
    ):
        # "Sở Xây dựng chủ trì …": "xây dựng" is the Sở's name here, not its verb; "… và các tổ
        # chức thành viên, Thủ trưởng …": after "các" a verb's word is a noun, the list goes on
        verb = _VERB_RE.search(folded, verb.end())
    if verb is None or verb.start() - offset < 3:
        return None
    subject = nfc(text[offset : verb.start()]).strip(" ,;:-–")
    words = fold_words(subject)
    longest = 40 if told else 30  # "Đề nghị A và các B, Thủ trưởng C và Chủ tịch D …": a list
    if not words or len(words.split()) > longest or not _starts_with_agency(words, strict_case=subject):
        return None
    return subject, nfc(text[verb.start() :]), told


_RECEIVER = re.compile(r"\(\s*qua\s+([^)]{3,80})\)")
_TO = re.compile(
    r"(?<![\w])(?:ve|gui)\s+((?:van phong|phong|so|ban|thanh tra|trung tam|ubnd|uy ban)\b[^,;.()]{0,60}?)(?=\s+(?:tr[uwo]\S{0,3}|de|cham|theo)(?!\w)|[,;.(]|$)"
)
_WITH = re.compile(
    r"phoi hop\s+(?:chat che\s+)?voi\s+([^,;.()]{3,80}?)(?=\s+(?:de|trong|thuc hien|xay dung|trien khai|tham muu|to chuc)\b|[;.(]|$)"
)


_COOPERATING = re.compile(r"(?<![\w&])phoi hop\s+(?:chat che\s+)?(?:voi\s+)?")
_PARTNERS_END = re.compile(
    r"\s+(?:de|trong|nham|theo|tai|cho|ve|nang cao|day manh|bo tri|su dung|tuyen truyen|quan ly|giam sat"
    r"|ho tro|xu ly|cung cap|tham gia|van dong|hoan thien|phat hien|dau tranh)\s|[.;:(]|\s+-\s|"
    + _VERB_RE.pattern.replace("(?<![\\w&])", "(?<=\\s)")
)


def partners_in(text: str) -> str:
    """The units a sentence works with: "… chủ trì, phối hợp với Sở A, UBND các phường tổ chức
    …" → "Sở A, UBND các phường" (up to the next verb or clause); "" when it names none."""
    low = text.lower()
    if "hợp" not in low and "hop" not in low:  # cheap: most items name no partner
        return ""
    folded = fold_aligned(text)
    found = _COOPERATING.search(folded)
    if found is None:
        return ""
    end = _PARTNERS_END.search(folded, found.end())
    stop = end.start() if end else len(folded)
    names = nfc(text[found.end() : stop]).strip(" ,;:.-–")
    kept = [name for name in map(_without_force, split_agencies(names)) if is_agency_name(name)]
    return ", ".join(kept)


def _without_force(name: str) -> str:
    """ "lực lượng Công an thành phố" is the agency "Công an thành phố" (its force); any other
    name as written."""
    match = re.match(r"(?:cac\s+)?luc luong\s+", fold(name))
    if match is None:
        return name
    body = nfc(" ".join(name.split()[len(match[0].split()) :]))
    return body if body and is_agency_name(body) and not vocabulary.is_collective(fold(body)) else name


def receivers(text: str) -> list[str]:
    """Units a sentence sends work to ("(qua Phòng HC-TH)", "về Văn phòng Sở"): its partners."""
    folded = fold_aligned(text)
    out: list[str] = []
    seen: set[str] = set()  # the folded names in `out`
    for pattern in (_RECEIVER, _TO, _WITH):
        for match in pattern.finditer(folded):
            name = nfc(text[match.start(1) : match.end(1)]).strip(" ,;:.")
            if name and fold(name) not in seen:
                seen.add(fold(name))
                out.append(name)
    return out


# ----------------------------------------------------------------------------- the reader


@dataclass
class _Context:
    """One reading of a plan's items: what it found so far, and where in the plan it is."""

    dating: Dating
    known: list[str]
    cooperation_tasks: bool = False  # "Phối hợp với X …" under a unit is that unit's own task
    tasks: list[ParsedTask] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cache: dict[str, Deadline] = field(default_factory=dict)
    unit: tuple[str, int] | None = None  # the unit whose section this is, and its heading's level
    task_level: int | None = None  # the level of the unit's tasks (deeper items add to the task)
    skip_level: int | None = None  # inside a section that holds no tasks (purpose, basis…)
    partner_notes: list[tuple[str, str, str]] = field(default_factory=list)  # (unit, text, source)
    # deeper items that add to a task's activity (task index → their texts), joined once at the
    # end: joining them to the task one by one would be quadratic in a long section
    more_activity: dict[int, list[str]] = field(default_factory=dict)
    # "a) Chủ trì, phối hợp với X:" over a unit's items: (the unit, X), the partners of its items
    role_partners: tuple[str, str] | None = None
    # the tasks of each lead (lead → task indices, in order): a partner note looks among the
    # tasks of the leads it names, not at every task (notes × tasks)
    by_lead: dict[str, list[int]] = field(default_factory=dict)

    def deadline(self, text: str) -> Deadline:
        if text not in self.cache:
            # The grammar repairs damaged quarter numerals itself and never raises.
            self.cache[text] = self.dating.parse(text)
        return self.cache[text]

    def agency(self, name: str) -> str:
        return resolve_agency(name, self.known)

    def add(
        self, title: str, lead: str, source: str, *, partners: str = "", deadline: str = "", **extra: str
    ) -> None:
        title = clean_title(title)
        words = fold_words(title)
        if len(words) < 4 or _CATCH_ALL.search(words):
            return
        if not partners:
            # "… chủ trì, phối hợp với X, Y tổ chức …" in the item; else its role sub-heading's
            partners = partners_in(title)
            if not partners and self.role_partners and self.role_partners[0] == lead:
                partners = self.role_partners[1]
        found = self.deadline(deadline) if deadline else Deadline("", Kind.UNSPECIFIED)
        task = ParsedTask(
            title=title,
            lead=self.agency(lead),
            partners=", ".join(self.agency(p) for p in split_agencies(partners)) if partners else "",
            deadline=nfc(deadline),
            kind=found.kind,
            dates=found.dates,
            source=source,
            **extra,
        )
        self.tasks.append(task)
        if task.lead:
            self.by_lead.setdefault(task.lead, []).append(len(self.tasks) - 1)


# "… thi hành Quyết định này", "tổ chức thực hiện Kế hoạch này": the whole plan, not a task.
_CATCH_ALL = re.compile(
    r"^(?:chiu trach nhiem\s+)?(?:thi hanh|to chuc thuc hien|trien khai thuc hien|thuc hien)"
    r"(?:\s+(?:nghiem\s+)?(?:quyet dinh|ke hoach|nghi quyet|cong van|chi thi)\s+nay)?$"
)


def resolve_agency(name: str, known: Iterable[str]) -> str:
    """A lead as written, put back to a known agency's spelling when it is a damaged form of it."""
    name = nfc(name).strip(" .,;:-–")
    if not name:
        return ""
    known = list(known)
    if not known:
        return name
    # A list is rewritten only when a name in it is damaged (letters, not just diacritics, off):
    # a list as written keeps its own punctuation, so a plan reads the same whatever the
    # directory holds and a re-import finds its tasks again (issue 26).
    exact = match_known(name, known)
    if exact:
        return exact
    parts = split_agencies(name)
    if len(parts) > 1:
        fixed = [match_known(part, known) or part for part in parts]
        if any(not _same_letters(f, p) for f, p in zip(fixed, parts, strict=True)):
            return ", ".join(fixed)
    return name


def _same_letters(a: str, b: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", fold(a)) == re.sub(r"[^a-z0-9]", "", fold(b))


def clean_title(text: str) -> str:
    text = nfc(text).strip(" .;:,-–/")
    text = re.sub(r"\s*\./\.?$", "", text)
    text = re.sub(r"\s+([,;.:])", r"\1", text)
    return text[:1].upper() + text[1:] if text else text


def _without(text: str, phrase: Phrase | None) -> str:
    if phrase is None:
        return text
    joined = nfc(text[: phrase.start] + " " + text[phrase.end :])
    return re.sub(r"\s+([,;.:])", r"\1", joined)


def _is_skip_heading(block: Item) -> bool:
    words = fold_words(block.text)
    if not words or len(words.split()) > 10:
        return False
    return any(fuzz.partial_ratio(key, words) >= 86 for key in _SKIP_HEADINGS) and not any(
        key in words for key in ("to chuc thuc hien", "nhiem vu")
    )


def tasks_from_lines(
    lines: Sequence[tuple[str, str]], dating: Dating, known: Sequence[str] = ()
) -> tuple[list[ParsedTask], list[str]]:
    """Read the tasks of a plan's text; `lines` are (source label, text), e.g. ("dòng 12", "…").

    A table whose cells an OCR scattered into loose lines (`scattered_cells`) is left out, with a
    warning naming where it is: its fragments are not tasks."""
    lines = list(lines)
    warnings: list[str] = []
    for start, end in scattered_cells([text for _label, text in lines]):
        warnings.append(
            _(
                "{start} – {end}: một bảng bị nhận dạng (OCR) thành các dòng rời, không ghép lại được "
                "thành nhiệm vụ; hãy đối chiếu với bản gốc và thêm các nhiệm vụ của bảng này."
            ).format(start=lines[start][0], end=lines[end][0])
        )
        lines[start : end + 1] = [(label, "") for label, _text in lines[start : end + 1]]
    tasks, found = tasks_from_items(split_items(_after_header(lines)), dating, known)
    return tasks, warnings + found  # first: the preview shows a plan's first few warnings


_WRAPPED_WIDTH = 160  # a text whose long lines are at most this long is wrapped as printed lines
_MIN_FRAGMENTS = 12  # so many narrow lines in a row (a wider line between them at most) make a table


def scattered_cells(texts: Sequence[str]) -> list[tuple[int, int]]:
    """(first, last) line indexes of each run of table cells scattered into loose lines.

    An OCR that does not see a table's grid writes each cell's wrapped words as lines of their
    own, column after column: runs of lines far narrower than the page's (under 40 % of the
    width of its long lines), at least `_MIN_FRAGMENTS` of them, with at most one wider line
    between two of them. Only text wrapped as printed lines has a page width: text written a
    paragraph a line never has such runs.
    """
    lengths = [len(text.strip()) for text in texts]
    filled = [index for index, length in enumerate(lengths) if length]
    if len(filled) < _MIN_FRAGMENTS:
        return []
    wide = sorted(lengths[index] for index in filled)[int(len(filled) * 0.9)]
    if wide > _WRAPPED_WIDTH:
        return []
    narrow = max(20.0, 0.4 * wide)
    runs: list[tuple[int, int]] = []
    at = 0
    while at < len(filled):
        if lengths[filled[at]] >= narrow:
            at += 1
            continue
        last, count, cursor = at, 1, at + 1
        while cursor < len(filled):
            if lengths[filled[cursor]] < narrow:
                last, count = cursor, count + 1
            elif cursor + 1 >= len(filled) or lengths[filled[cursor + 1]] >= narrow:
                break
            cursor += 1
        if count >= _MIN_FRAGMENTS:
            runs.append((filled[at], filled[last]))
        at = last + 1
    return runs


def layout_items(doc_blocks: Sequence[DocBlock]) -> list[Item]:
    """Paragraph blocks of the document model as items with their marker level (tables left out).

    The header above the plan's title is facts, not tasks, and is skipped.
    """
    items: list[Item] = []
    for doc in doc_blocks:
        if doc.kind != "paragraph" or not doc.lines:
            continue
        first = _clean_line(doc.lines[0])
        level, rest, heading = _marker(first)
        if doc.bold and level == LEVEL_TEXT and len(first) < 120:
            level, heading = LEVEL_BOLD, True
        lines = [(doc.source, rest)] + [(doc.source, nfc(part)) for part in doc.lines[1:]]
        items.append(Item(level, lines, heading))
    for index, item in enumerate(items[:40]):
        words = fold_words(item.text)
        if _DOCUMENT_TITLE.match(words) and len(words.split()) <= 14:
            return items[index + 1 :]
    return items


# The title word of a document: above it is the header (issuer, number, date), below the body.
_DOCUMENT_TITLE = re.compile(
    r"^(?:ke hoach|chuong trinh|phuong an|quyet dinh|nghi quyet|chi thi|cong van|kinh gui)\b"
)


def tasks_from_items(
    blocks: list[Item], dating: Dating, known: Sequence[str] = (), *, cooperation_tasks: bool = False
) -> tuple[list[ParsedTask], list[str]]:
    """Read the tasks of a plan from its items (see `split_items` and `layout_items`); due dates
    by `dating`, names put back to the spelling of `known` agencies."""
    ctx = _Context(dating, list(known), cooperation_tasks)
    consumed: set[int] = set()  # field lines read with the item above them
    for index, block in enumerate(blocks):
        if index not in consumed and not _skipped(ctx, block):
            consumed.update(_read_item(ctx, blocks, index))
    for index, parts in ctx.more_activity.items():
        task = ctx.tasks[index]
        ctx.tasks[index] = replace(task, activity=nfc(" ".join([task.activity, *parts])))
    for unit_name, note, source in ctx.partner_notes:
        _attach_partner(ctx, unit_name, note, source)
    ctx.warnings.extend(_incomplete(ctx.tasks))
    return ctx.tasks, ctx.warnings


_BASIS = (
    "can cu luat",
    "can cu nghi",
    "can cu quyet",
    "can cu thong",
    "can cu chi",
    "can cu kien nghi",
    "can cu bao cao",
    "can cu cong van",
    "theo de nghi cua",
    "kem theo",
)
_PREAMBLE = ("can cu", "theo de nghi", "thuc hien quyet dinh", "thuc hien ke hoach", "thuc hien van ban")


def _skipped(ctx: _Context, block: Item) -> bool:
    """Items that are never tasks: inside a purpose/requirement/basis section (`_is_skip_heading`,
    until a heading at its level or above), and legal bases ("Căn cứ Luật …") anywhere."""
    if ctx.skip_level is not None:
        giao = not block.heading and fold_words(block.text).startswith("giao ")
        if (
            not giao
            and block.level > ctx.skip_level
            or (block.level == ctx.skip_level and not block.heading and block.level >= LEVEL_ALPHA)
        ):
            return True
        ctx.skip_level = None
    if block.level <= LEVEL_ALPHA and _is_skip_heading(block):
        ctx.skip_level, ctx.unit = block.level, None
        return True
    words = fold_words(block.text)
    return words.startswith(_BASIS) or (ctx.unit is None and words.startswith(_PREAMBLE))


def _read_item(ctx: _Context, blocks: list[Item], index: int) -> range:
    """The tasks of item `index`, in the first layout that fits it; → the items it consumed."""
    block = blocks[index]
    # 1. an item followed by field lines
    group = field_group(blocks, index)
    if group is not None:
        fields, cursor = group
        if ctx.unit is not None and block.level <= ctx.unit[1] and block.level < LEVEL_TEXT:
            ctx.unit, ctx.task_level = None, None
        _field_tasks(ctx, block, fields, ctx.unit[0] if ctx.unit else "")
        return range(index + 1, cursor)
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    # 2. a unit's section
    heading = unit_heading(block, following)
    if heading is not None:
        ctx.unit, ctx.task_level = (heading[0], block.level), None
        if heading[1]:
            _unit_task(ctx, heading[0], Item(LEVEL_TEXT, heading[1]))
            ctx.task_level = LEVEL_TEXT
        return range(0)
    if ctx.unit is not None and block.level <= ctx.unit[1]:
        ctx.unit, ctx.task_level = None, None
    inline = inline_unit(block) if not block.heading and block.level < LEVEL_TEXT else None
    if inline is not None:
        _unit_task(ctx, inline[0], Item(block.level, [(block.source, inline[1])]))
    elif ctx.unit is not None and not block.heading:
        _unit_item(ctx, ctx.unit[0], block, following)
    elif not block.heading:
        # 3. a sentence giving a unit a duty or a dated report
        _duty_tasks(ctx, block)
    return range(0)


def _unit_item(ctx: _Context, unit_name: str, block: Item, following: Item | None) -> None:
    """An item inside a unit's section: its task, or more of the task above it (a deeper item)."""
    if (
        following is not None
        and not following.heading
        and (
            following.level > block.level
            # a plain paragraph "Chủ trì, phối hợp với …:" over the unit's dashed items
            or (block.level == LEVEL_TEXT and following.level in (LEVEL_DASH, LEVEL_PLUS) and block.text.rstrip().endswith(":"))
        )
        and _is_role_heading(block)
    ):
        # "a) Chủ trì, phối hợp với …" / "b) Phối hợp với …:" over the unit's items
        ctx.task_level = None
        ctx.role_partners = (unit_name, partners_in(block.text))
        return
    if ctx.task_level is None:
        ctx.task_level = block.level
    if block.level > ctx.task_level and ctx.tasks and ctx.tasks[-1].lead == ctx.agency(unit_name):
        ctx.more_activity.setdefault(len(ctx.tasks) - 1, []).append(block.text)
        return
    _unit_task(ctx, unit_name, block)


def _incomplete(tasks: list[ParsedTask]) -> list[str]:
    """A warning for each task without an understood deadline or without a lead."""
    warnings: list[str] = []
    for task in tasks:
        if task.kind == Kind.UNSPECIFIED:
            if task.deadline:
                message = _("{source}: chưa hiểu thời hạn “{deadline}” của nhiệm vụ “{title}”.")
            else:
                message = _("{source}: nhiệm vụ “{title}” không ghi thời hạn.")
            title = _short(task.title)
            warnings.append(message.format(source=task.source, deadline=task.deadline, title=title))
        if not task.lead:
            warnings.append(
                _("{source}: nhiệm vụ “{title}” không ghi đơn vị chủ trì.").format(
                    source=task.source, title=_short(task.title)
                )
            )
    return warnings


def _after_header(lines: Sequence[tuple[str, str]]) -> Sequence[tuple[str, str]]:
    """The lines after the plan's "KẾ HOẠCH" title line (the header is facts, not tasks)."""
    seen = 0
    for index, (_label, text) in enumerate(lines):
        words = fold_words(_clean_line(text))
        if not words:
            continue
        seen += 1
        if seen > 25:
            break
        if re.match(r"^(?:ke hoach|chuong trinh|phuong an)\b", words) and len(words.split()) <= 14:
            return lines[index + 1 :]
    return lines


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unit_task(ctx: _Context, unit_name: str, block: Item) -> None:
    text = block.text
    if _starts_with_cooperation(text) and not ctx.cooperation_tasks:
        ctx.partner_notes.append((unit_name, text, block.source))
        return
    phrases = deadline_phrases(text)
    if len(phrases) >= 2 and not all(p.explicit for p in phrases):
        # a recurring report with its days: the whole run of phrases is one deadline
        span = phrase_run(phrases)
        ctx.add(_sentence_at(text, span.start), unit_name, block.source, deadline=text[span.start : span.end])
        return
    inline = _INLINE_DEADLINE.search(fold_aligned(text))
    if inline is not None:
        # "… gửi Bộ Tài chính. Thời gian hoàn thành: Trước ngày 31/5/2026."
        deadline = nfc(text[inline.start(1) : inline.end(1)]).strip(" .;")
        ctx.add(_first_sentence(text[: inline.start()]), unit_name, block.source, deadline=deadline)
        return
    phrase = phrases[0] if phrases else None
    deadline = text[phrase.start : phrase.end] if phrase else ""
    ctx.add(_first_sentence(_without(text, phrase)), unit_name, block.source, deadline=deadline)


_INLINE_DEADLINE = re.compile(
    r"(?:^|[.;]\s*)(?:thoi gian|thoi han)(?:\s+(?:thuc hien|hoan thanh))?(?:\s*/\s*hoan thanh)?\s*:\s*([^;]+?)\s*(?:[.;]\s*$|$)"
)


def _is_role_heading(block: Item) -> bool:
    """A unit's sub-heading that says in which role its items are done, not a task itself."""
    folded = fold_aligned(block.text)
    match = re.match(
        r"^\W*(?:chu tri\W+)?(?:va\s+)?phoi hop(?:\s+chat che)?(?:\s+voi)?\b|^\W*chu tri\b", folded
    )
    if match is None:
        return False
    rest = folded[match.end() :]
    return len(rest.split()) <= 40 and _VERB_RE.search(rest) is None


def _starts_with_cooperation(text: str) -> bool:
    head = " ".join(fold_words(text).split()[:2])
    return Levenshtein.normalized_similarity(head, "phoi hop") >= 0.75


def _sentence_at(text: str, at: int) -> str:
    """The sentence of `text` that holds position `at` (the report is in the second one)."""
    start = 0
    for match in re.finditer(r"(?<=[^\d\s]{2})\.\s+(?=[A-ZĐÀ-Ỹ])", text):
        if match.start() >= at:
            break
        start = match.end()
    return _first_sentence(text[start:]) if start else _first_sentence(text)


def _first_sentence(text: str) -> str:
    """Long bullets add context after the first sentence; the task is the first one."""
    match = re.search(r"(?<=[^\d\s]{2})\.\s+(?=[A-ZĐÀ-Ỹ])", text)
    if match and match.start() >= 25:
        return text[: match.start()]
    return text


def _attach_partner(ctx: _Context, unit_name: str, note: str, source: str) -> None:
    """ "Phối hợp với Văn phòng Ban xây dựng …" under a unit: a partner of that office's task."""
    folded = fold_aligned(note)
    match = re.match(r"\S+\s+\S+\s+(?:chat che\s+)?(?:v\S{1,3}\s+)?", folded)
    rest = note[match.end() :] if match else note
    best: tuple[float, int] | None = None  # (score, -index of the task): the first of the best
    named = fold(rest)[:80]
    words = fold_words(rest)
    for lead, indices in ctx.by_lead.items():  # whether the note names a lead: once per lead
        if fuzz.partial_ratio(fold(lead), named) < 85:
            continue
        for index in indices:
            score = fuzz.token_set_ratio(fold_words(ctx.tasks[index].title), words)
            if best is None or (score, -index) > best:
                best = (score, -index)
    if best and best[0] >= 70:
        partner = ctx.agency(unit_name)
        task = ctx.tasks[-best[1]]
        if fold(partner) not in fold(task.partners):
            ctx.tasks[-best[1]] = replace(task, partners=f"{task.partners}, {partner}" if task.partners else partner)
        return
    phrases = deadline_phrases(note)
    phrase = phrases[0] if phrases else None
    ctx.add(
        _without(note, phrase),
        unit_name,
        source,
        deadline=note[phrase.start : phrase.end] if phrase else "",
        partners=", ".join(receivers(note)),
    )


def _duty_tasks(ctx: _Context, block: Item) -> None:
    """Tasks in "X có trách nhiệm …" / "X báo cáo … trước ngày …" sentences (one per dated part)."""
    text = block.text
    found = _subject_and_rest(text)
    if found is None:
        return
    subject, rest, told = found
    folded_rest = fold_aligned(rest)
    phrases = deadline_phrases(rest)
    collective = bool(_COLLECTIVE.match(fold_words(subject)))
    duty = bool(_DUTY.match(folded_rest))
    numbered = 1 <= block.level <= 4 and not block.heading
    if not phrases and not told and (collective or not (duty or numbered)):
        return
    prefix = _DUTY_PREFIX.match(folded_rest)
    if prefix:
        rest = nfc(rest[prefix.end() :])
        phrases = deadline_phrases(rest)
    dated = [p for p in phrases if p.explicit]
    if len(phrases) >= 2 and not all(p.explicit for p in phrases):
        # "định kỳ hằng tháng (trước ngày 18 hằng tháng), 6 tháng (trước ngày 18/5), tổng kết năm
        # (…)": one recurring report, its deadline the whole run of phrases
        run = phrase_run(phrases)
        span = rest[run.start : run.end]
        ctx.add(text, subject, block.source, deadline=span, partners=", ".join(receivers(rest)))
        return
    if len(dated) >= 2:
        # "… gửi về Sở (qua Phòng X) trước ngày 10/11 để tổng hợp … trước ngày 15/11": two tasks;
        # the later part is done by the unit the first part reports to.
        lead = subject
        start = 0
        for phrase in dated:
            part = rest[start : phrase.end]
            title = _without(part, Phrase(phrase.start - start, phrase.end - start, True))
            title = nfc(title).lstrip(" ,;")
            if fold_words(title).split()[:1] in (["de"], ["va"]):
                title = title.split(" ", 1)[1] if " " in title else title
            to = receivers(part)
            ctx.add(
                title, lead, block.source, deadline=rest[phrase.start : phrase.end], partners=", ".join(to)
            )
            via = _RECEIVER.search(fold_aligned(part))
            if via:
                lead = nfc(part[via.start(1) : via.end(1)])
            start = phrase.end
        return
    chosen = phrases[0] if phrases else None
    deadline = rest[chosen.start : chosen.end] if chosen else ""
    title = _without(rest, chosen)
    title = re.split(r"\s+(?:để|de)\s+(?:làm|lam)\s+(?:cơ sở|co so)\b", title)[0]
    partners = partners_in(rest) or ", ".join(receivers(rest))
    ctx.add(title, subject, block.source, deadline=deadline, partners=partners)
