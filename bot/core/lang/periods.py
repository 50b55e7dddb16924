"""Periods named in a question ("tuần sau", "cuối tháng", "trước 15/12", "trong 10 ngày tới") → dates.

Pure: `today` is passed in. The text is already folded (`bot.core.text.fold`), so every pattern
works with and without diacritics. Every rule below is written in the README ("Questions"):

- A week starts on Monday (thứ Hai) and ends on Sunday. *Đầu tuần* is Monday–Tuesday, *giữa
  tuần* Wednesday–Thursday, *cuối tuần* Friday–Sunday.
- A month's thirds are the old *thượng/trung/hạ tuần*: *đầu tháng* 1–10, *giữa tháng* 11–20,
  *cuối tháng* 21–last day. A quarter's: *đầu quý* its first month, *giữa quý* the second,
  *cuối quý* the third. A year's: *đầu năm* quý I, *giữa năm* quý II–III, *cuối năm* quý IV;
  *nửa đầu năm* (6 tháng đầu năm) January–June, *nửa cuối năm* July–December.
- *hết tuần/tháng/quý/năm* and *trong tuần/tháng/quý/năm* are the whole current one (so "đến
  hết tháng" ends on its last day).
- *thứ Sáu* alone is the next Friday from today on (today included); *thứ Sáu (tuần) này* this
  week's, *tuần sau* next week's, *tuần trước* last week's.
- *N ngày/tuần/tháng tới* (trong N ngày tới, N ngày nữa): today through today + N days (weeks,
  months); *N ngày qua*: today − N days through today.
- *Before or by a date*: "trước (ngày) D", "đến (hết) D", "chậm nhất D" mean every open task
  due up to and including D — a deadline "trước ngày D" is due on D — overdue ones
  included (`start` is None). "trước" a whole period ("trước tháng 12") is by the day before it
  starts; "trước cuối tháng", "đến hết quý" by its last day.
- *From now*: "từ nay / từ giờ / từ hôm nay đến D (or a period)": today through D (its end).
- A date without a year is in the current year; after "trước" and "đến" it is the next year's
  when this year's is more than half a year past ("trước 10/1" asked in December), after "từ nay
  đến" when it is past at all.
- *nửa đầu tháng* is 1–15, *nửa cuối tháng* 16–last day.

Patterns are tried all at once and the longest match wins ("ngày 15 tháng 3 năm 2022" is a day,
not "tháng 3 năm 2022"; "cuối tháng 12" is not "tháng 12"); a prefix ("trước", "đến hết",
"từ nay đến") right before it then turns it into a by-date or a from-now range.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

Span = tuple[date, date, tuple[int, int]]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_NEXT2 = r"(?:sau nua|toi nua)"
_NEXT = r"(?:sau|toi|ke tiep|tiep theo)"
_PREV = r"(?:truoc|vua qua|qua(?!\s+(?:han|thoi han)))"
_NOW = r"(?:nay|hien tai)"
_REL = rf"(?:{_NEXT2}|{_NOW}|{_NEXT}|{_PREV})"
# "quý" folds to "quy", as do "quy định", "quy hoạch", "quy trình": never a quarter.
_NOT_QUARTER = r"(?!\s+(?:dinh|hoach|trinh|che|mo|tac|chuan|luat|pham|uoc|doi|hoi|nap|trach|tu|so|tien))"
_WEEKDAYS = {
    "2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tu": 2, "5": 3, "nam": 3,
    "6": 4, "sau": 4, "7": 5, "bay": 5,
}  # fmt: skip
# A date written in a question: "15/3", "15/3/2022", "15-3-2022", "ngày 15 tháng 3 (năm 2022)".
_DATE = (
    r"(?:ngay\s+)?(\d{1,2})(?:\s*[/.-]\s*|\s+thang\s+)(\d{1,2})(?:(?:\s*[/.-]\s*|\s+nam\s+)(\d{4}|\d{2}))?"
)


@dataclass(frozen=True)
class Period:
    """A period read from a question. `start` None: everything due up to `end` (a by-date)."""

    start: date | None
    end: date
    span: tuple[int, int]  # where its words are in the folded text (prefix included)
    kind: str = "period"  # "period" | "by" (up to and including `end`) | "from_now" (today … end)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), _month_end(year, month)


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _quarter(year: int, quarter: int) -> tuple[date, date]:
    return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)


def _year(value: str | None, today: date) -> int:
    if not value:
        return today.year
    number = int(value)
    return number + 2000 if number < 100 else number


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _relative(word: str | None) -> int:
    if not word:
        return 0
    if re.fullmatch(_NEXT2, word):
        return 2
    if re.fullmatch(_NEXT, word):
        return 1
    if re.fullmatch(_PREV, word):
        return -1
    return 0


Dates = tuple[date, date] | None
# Each rule: a compiled pattern and a function from its match to (start, end) or None.
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], Dates]]


def _range(m: re.Match[str], today: date) -> Dates:
    first = _safe_date(_year(m[3], today), int(m[2]), int(m[1]))
    last = _safe_date(_year(m[6] or m[3], today), int(m[5]), int(m[4]))
    if first is None or last is None:
        return None
    if m[3] is None and m[6] is not None and first > last:
        first = _safe_date(first.year - 1, first.month, first.day)
    return (first, last) if first and first <= last else None


def _one_date(m: re.Match[str], today: date) -> Dates:
    day = _safe_date(_year(m[3], today), int(m[2]), int(m[1]))
    return (day, day) if day else None


def _month_year(m: re.Match[str], today: date) -> Dates:
    month = int(m[1])
    return _month(_year(m[2], today), month) if 1 <= month <= 12 else None


def _month_number(m: re.Match[str], today: date) -> Dates:
    month = int(m[1])
    return _month(today.year, month) if 1 <= month <= 12 else None


def _quarter_numbered(m: re.Match[str], today: date) -> Dates:
    quarter = _ROMAN.get(m[1]) or int(m[1])
    return _quarter(_year(m[2], today), quarter) if 1 <= quarter <= 4 else None


def _day_word(m: re.Match[str], today: date) -> Dates:
    offset = {"hom nay": 0, "ngay mai": 1, "hom qua": -1, "ngay kia": 2, "ngay mot": 2, "hom kia": -2}[m[1]]
    day = today + timedelta(days=offset)
    return day, day


def _monday(today: date, weeks: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def _week(m: re.Match[str], today: date) -> Dates:
    monday = _monday(today, _relative(m[1]))
    return monday, monday + timedelta(days=6)


def _weekday(m: re.Match[str], today: date) -> Dates:
    wanted = 6 if m[1] is None else _WEEKDAYS[m[1]]
    if m[2] is None:  # alone: the next such day, today included
        day = today + timedelta(days=(wanted - today.weekday()) % 7)
    else:
        day = _monday(today, _relative(m[2])) + timedelta(days=wanted)
    return day, day


def _month_relative(m: re.Match[str], today: date) -> Dates:
    return _month(*_shift_month(today.year, today.month, _relative(m[1])))


def _quarter_relative(m: re.Match[str], today: date) -> Dates:
    index = today.year * 4 + (today.month - 1) // 3 + _relative(m[1])
    return _quarter(index // 4, index % 4 + 1)


def _half_year(m: re.Match[str], today: date) -> Dates:
    year = _year_of(m[2], today)
    if m[1] == "dau":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def _year_of(word: str | None, today: date) -> int:
    """ "nay"/"sau"/"2027"/None → a year."""
    if word is None:
        return today.year
    if word.isdigit():
        return _year(word, today)
    return today.year + (1 if word in ("sau", "toi") else -1 if word in ("truoc", "ngoai", "qua") else 0)


def _year_relative(m: re.Match[str], today: date) -> Dates:
    year = _year_of(m[1], today)
    return date(year, 1, 1), date(year, 12, 31)


def _year_numbered(m: re.Match[str], today: date) -> Dates:
    year = int(m[1])
    return date(year, 1, 1), date(year, 12, 31)


def _coming(m: re.Match[str], today: date) -> Dates:
    count, unit = int(m[1]), m[2]
    if not 0 < count <= 366:
        return None
    if unit == "thang":
        year, month = _shift_month(today.year, today.month, count)
        end = _safe_date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        return (today, end) if end else None
    return today, today + timedelta(days=count * (7 if unit == "tuan" else 1))


def _past_days(m: re.Match[str], today: date) -> Dates:
    count = int(m[1]) * (7 if m[2] == "tuan" else 1)
    return (today - timedelta(days=count), today) if 0 < count <= 366 else None


def _part(start: date, end: date, part: str, thirds: tuple[tuple[int, int], ...] | None = None) -> Dates:
    """The đầu / giữa / cuối (or hết: all) of a period, by the rules of the module's docstring."""
    if part == "het":
        return start, end
    index = ("dau", "giua", "cuoi").index(part)
    if thirds is not None:  # days of a week (0 = Monday) or of a month
        first, last = thirds[index]
        return start + timedelta(days=first), min(end, start + timedelta(days=last))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 3:  # a quarter: one month each
        return _month(*_shift_month(start.year, start.month, index))
    # a year: quý I, quý II–III, quý IV
    bounds = ((1, 3), (4, 9), (10, 12))[index]
    return date(start.year, bounds[0], 1), _month_end(start.year, bounds[1])


_WEEK_THIRDS = ((0, 1), (2, 3), (4, 6))
_MONTH_THIRDS = ((0, 9), (10, 19), (20, 40))
_MONTH_HALVES = ((0, 14), (0, 0), (15, 40))  # đầu, (giữa unused), cuối


def _part_of_week(m: re.Match[str], today: date) -> Dates:
    monday = _monday(today, _relative(m[2]))
    return _part(monday, monday + timedelta(days=6), m[1], _WEEK_THIRDS)


def _part_of_month(m: re.Match[str], today: date) -> Dates:
    if m[3] is not None:
        month = int(m[3])
        if not 1 <= month <= 12:
            return None
        first, last = _month(_year(m[4], today), month)
    else:
        first, last = _month(*_shift_month(today.year, today.month, _relative(m[2])))
    if m.group().startswith("nua"):  # nửa đầu / nửa cuối tháng: 1–15, 16–last
        return _part(first, last, m[1], _MONTH_HALVES)
    part = {"thuong": "dau", "trung": "giua", "ha": "cuoi"}.get(m[1], m[1])
    return _part(first, last, part, _MONTH_THIRDS)


def _part_of_quarter(m: re.Match[str], today: date) -> Dates:
    if m[3] is not None:
        quarter = _ROMAN.get(m[3]) or int(m[3])
        if not 1 <= quarter <= 4:
            return None
        first, last = _quarter(_year(m[4], today), quarter)
    else:
        index = today.year * 4 + (today.month - 1) // 3 + _relative(m[2])
        first, last = _quarter(index // 4, index % 4 + 1)
    return _part(first, last, m[1])


def _part_of_year(m: re.Match[str], today: date) -> Dates:
    year = _year_of(m[2], today)
    return _part(date(year, 1, 1), date(year, 12, 31), m[1])


def _current(m: re.Match[str], today: date) -> Dates:
    """ "trong tuần", "trong tháng", "trong quý", "trong năm": the current one."""
    unit = m[1]
    if unit == "tuan":
        monday = _monday(today, 0)
        return monday, monday + timedelta(days=6)
    if unit == "thang":
        return _month(today.year, today.month)
    if unit == "quy":
        return _quarter(today.year, (today.month - 1) // 3 + 1)
    return date(today.year, 1, 1), date(today.year, 12, 31)


def _since_start(m: re.Match[str], today: date) -> Dates:
    """ "từ đầu năm (đến nay)": from the first day of the current unit through today."""
    unit = m[1]
    if unit == "tuan":
        return _monday(today, 0), today
    if unit == "thang":
        return today.replace(day=1), today
    if unit == "quy":
        return _quarter(today.year, (today.month - 1) // 3 + 1)[0], today
    return date(today.year, 1, 1), today


_PART = r"(dau|giua|cuoi|het)"
_RULES: list[Rule] = [
    (re.compile(rf"\btu\s+{_DATE}\s*(?:den|toi|-)\s*{_DATE}\b"), _range),
    (re.compile(rf"(?<![\d/]){_DATE}\s+(?:den|-)\s+{_DATE}\b"), _range),
    (re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?\b"), _one_date),
    (re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b"), _month_year),
    (re.compile(r"\bquy\s+(iv|iii|ii|i|\d)\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b)?"), _quarter_numbered),
    (re.compile(r"\bq([1-4])\b(?:\s*/\s*(\d{4})\b)?"), _quarter_numbered),
    (
        re.compile(
            r"(?:\bngay\s+)?(?<![\d/.])(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?(?![\d/])"
        ),
        _one_date,
    ),
    (re.compile(r"\b(hom nay|ngay mai|hom qua|ngay kia|ngay mot|hom kia)\b"), _day_word),
    (
        re.compile(
            r"\b(?:thu\s+(2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|chu\s+nhat)\b"
            rf"(?:\s+(?:tuan\s+)?({_NOW}|{_NEXT}|{_PREV})\b)?"
        ),
        _weekday,
    ),
    (re.compile(rf"\btuan\s+({_REL})\b"), _week),
    (re.compile(rf"\b{_PART}\s+tuan\b(?:\s+({_REL})\b)?"), _part_of_week),
    (re.compile(rf"\bthang\s+({_REL})\b"), _month_relative),
    (re.compile(r"\bthang\s+(\d{1,2})\b(?!\s*[/.-]\s*\d)"), _month_number),
    (
        re.compile(
            rf"\b{_PART}\s+thang\b(?:\s+({_REL})\b|\s+(\d{{1,2}})\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{{4}})\b)?)?"
        ),
        _part_of_month,
    ),
    (
        re.compile(
            rf"\b(thuong|trung|ha)\s+tuan\s+thang\b(?:\s+({_REL})\b|\s+(\d{{1,2}})\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{{4}})\b)?)?"
        ),
        _part_of_month,
    ),
    (
        re.compile(
            rf"\bnua\s+(dau|cuoi)\s+thang\b(?:\s+({_REL})\b|\s+(\d{{1,2}})\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{{4}})\b)?)?"
        ),
        _part_of_month,
    ),
    (re.compile(rf"\bquy\s+({_REL})\b"), _quarter_relative),
    (
        re.compile(
            rf"\b{_PART}\s+quy\b{_NOT_QUARTER}"
            rf"(?:\s+({_REL})\b|\s+(iv|iii|ii|i|\d)\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{{4}})\b)?)?"
        ),
        _part_of_quarter,
    ),
    (
        re.compile(r"\b(?:6|sau)\s+thang\s+(dau|cuoi)\s+nam\b(?:\s+(nay|sau|toi|truoc|ngoai|\d{4})\b)?"),
        _half_year,
    ),
    (re.compile(r"\bnua\s+(dau|cuoi)\s+nam\b(?:\s+(nay|sau|toi|truoc|ngoai|\d{4})\b)?"), _half_year),
    (re.compile(r"\bnua\s+nam\s+(dau|cuoi)\b(?:\s+(nay|sau|toi|truoc|ngoai|\d{4})\b)?"), _half_year),
    (re.compile(r"\bnam\s+(nay|sau|toi|truoc|ngoai)\b"), _year_relative),
    (re.compile(r"\bnam\s+(\d{4})\b"), _year_numbered),
    (re.compile(rf"\b{_PART}\s+nam\b(?:\s+(nay|sau|toi|truoc|ngoai|\d{{4}})\b)?"), _part_of_year),
    (
        re.compile(
            r"\b(?:trong\s+(?:vong\s+)?)?(\d{1,3})\s+(ngay|tuan|thang)\s+(?:toi|sap toi|nua|tiep theo|ke tiep)\b"
        ),
        _coming,
    ),
    (re.compile(r"\btrong\s+(?:vong\s+)?(\d{1,3})\s+(ngay|tuan|thang)\b"), _coming),
    (re.compile(r"\b(\d{1,3})\s+(ngay|tuan)\s+(?:qua|vua qua|gan day|gan nhat)\b"), _past_days),
    (re.compile(r"\btrong\s+(tuan|thang|quy|nam)\b(?!\s+(?:\d|toi|sau|truoc|nay|qua|ke|tiep|nua|i|v))"), _current),
    (re.compile(r"\btu\s+dau\s+(tuan|thang|quy|nam)\b(?:\s+(?:nay\s+)?(?:den|toi)\s+(?:nay|gio|bay gio))?"), _since_start),
]


# Words right before a period that change what it means (see the module's docstring).
_FROM_NOW = re.compile(
    r"\btu\s+(?:nay|gio|bay gio|hom nay|ngay hom nay|hien tai|luc nay)\s+(?:cho\s+)?(?:den|toi)\s+(?:het\s+)?$"
)
_BY = re.compile(
    r"(?:\b(?:truoc|(?:cho\s+)?(?:den|(?<!cua )toi)(?:\s+het)?|cham nhat(?:\s+la)?"
    r"|truoc khi het|trong han)\s+)$"
)
_WHOLE_PERIOD = re.compile(r"^(?:tuan|thang|quy|nam|q\d)\b")


def _best_match(folded_text: str, today: date) -> tuple[date, date, re.Match[str]] | None:
    """The longest period written in the text (the earliest rule wins a tie)."""
    best: tuple[date, date, re.Match[str]] | None = None
    for pattern, build in _RULES:
        for match in pattern.finditer(folded_text):
            if best is not None and len(match.group()) <= len(best[2].group()):
                continue
            try:
                found = build(match, today)
            except (ValueError, OverflowError, KeyError):
                found = None
            if found is not None:
                best = (found[0], found[1], match)
    return best


def _roll_forward(day: date, match: re.Match[str], today: date, days: int = 183) -> date:
    """A date typed without a year, more than `days` past: next year's ("trước 10/1" in December)."""
    if re.search(r"\d{4}|[/.-]\s*\d{2}\s*[/.-]\s*\d{2}\b", match.group()) or not re.search(r"\d", match.group()):
        return day
    if (today - day).days > days:
        moved = _safe_date(day.year + 1, day.month, day.day)
        return moved or day
    return day


def read_period(folded_text: str, today: date) -> Period | None:
    """The period a question names, with the words that named it, or None."""
    best = _best_match(folded_text, today)
    if best is None:
        return None
    start, end, match = best
    i, j = match.span()
    before = folded_text[:i]
    words = match.group()
    from_now = _FROM_NOW.search(before)
    if from_now is not None:
        end = _roll_forward(end, match, today, days=0)
        return Period(today, max(today, end), (from_now.start(), j), "from_now")
    by = _BY.search(before)
    if by is not None:
        if by.group().strip().startswith("truoc") and _WHOLE_PERIOD.match(words) and start != end:
            end = start - timedelta(days=1)  # "trước tháng 12": by the day before it starts
        elif start == end:
            end = _roll_forward(end, match, today)
        return Period(None, end, (by.start(), j), "by")
    return Period(start, end, (i, j))


def find_period_span(folded_text: str, today: date) -> Span | None:
    """Like `find_period`, but with the character span of the words in `folded_text`."""
    found = read_period(folded_text, today)
    if found is None:
        return None
    return found.start or date.min, found.end, found.span


def find_period(folded_text: str, today: date) -> tuple[date, date, str] | None:
    """The first period named in `folded_text`: (start, end, the words matched), or None."""
    found = find_period_span(folded_text, today)
    if found is None:
        return None
    start, end, (i, j) = found
    return start, end, folded_text[i:j]
