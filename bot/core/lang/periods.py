"""Periods named in a question ("tuần sau", "quý 3", "từ 1/3 đến 15/3") → a date range.

Pure: `today` is passed in. The text is already folded (`bot.core.text.fold`), so every pattern
works with and without diacritics. Patterns are tried from the most specific to the least
("ngày 15 tháng 3 năm 2022" must not be read as "tháng 3 năm 2022").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

Span = tuple[date, date, tuple[int, int]]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_NEXT = r"(?:sau|toi|ke tiep|tiep theo)"
_PREV = r"(?:truoc|vua qua)"
_NOW = r"(?:nay|hien tai)"

# A date written in a question: "15/3", "15/3/2022", "15-3-2022", "ngày 15 tháng 3 (năm 2022)".
_DATE = (
    r"(?:ngay\s+)?(\d{1,2})(?:\s*[/.-]\s*|\s+thang\s+)(\d{1,2})(?:(?:\s*[/.-]\s*|\s+nam\s+)(\d{4}|\d{2}))?"
)


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


def _relative(word: str) -> int:
    if re.fullmatch(_NEXT, word):
        return 1
    if re.fullmatch(_PREV, word):
        return -1
    return 0


# Each rule: a compiled pattern and a function from its match to (start, end) or None.
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], tuple[date, date] | None]]


def _range(m: re.Match[str], today: date) -> tuple[date, date] | None:
    first = _safe_date(_year(m[3], today), int(m[2]), int(m[1]))
    last = _safe_date(_year(m[6] or m[3], today), int(m[5]), int(m[4]))
    if first is None or last is None:
        return None
    if m[3] is None and m[6] is not None and first > last:
        first = _safe_date(first.year - 1, first.month, first.day)
    return (first, last) if first and first <= last else None


def _one_date(m: re.Match[str], today: date) -> tuple[date, date] | None:
    day = _safe_date(_year(m[3], today), int(m[2]), int(m[1]))
    return (day, day) if day else None


def _month_year(m: re.Match[str], today: date) -> tuple[date, date] | None:
    month = int(m[1])
    return _month(_year(m[2], today), month) if 1 <= month <= 12 else None


def _month_number(m: re.Match[str], today: date) -> tuple[date, date] | None:
    month = int(m[1])
    return _month(today.year, month) if 1 <= month <= 12 else None


def _quarter_numbered(m: re.Match[str], today: date) -> tuple[date, date] | None:
    quarter = _ROMAN.get(m[1]) or int(m[1])
    return _quarter(_year(m[2], today), quarter) if 1 <= quarter <= 4 else None


def _day_word(m: re.Match[str], today: date) -> tuple[date, date] | None:
    offset = {"hom nay": 0, "ngay mai": 1, "hom qua": -1, "ngay kia": 2, "hom kia": -2}[m[1]]
    day = today + timedelta(days=offset)
    return day, day


def _week(m: re.Match[str], today: date) -> tuple[date, date] | None:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=_relative(m[1]))
    return monday, monday + timedelta(days=6)


def _month_relative(m: re.Match[str], today: date) -> tuple[date, date] | None:
    return _month(*_shift_month(today.year, today.month, _relative(m[1])))


def _quarter_relative(m: re.Match[str], today: date) -> tuple[date, date] | None:
    index = today.year * 4 + (today.month - 1) // 3 + _relative(m[1])
    return _quarter(index // 4, index % 4 + 1)


def _half_year(m: re.Match[str], today: date) -> tuple[date, date] | None:
    year = _year(m[2], today)
    if m[1] == "dau":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def _year_relative(m: re.Match[str], today: date) -> tuple[date, date] | None:
    year = today.year + (1 if m[1] in ("sau", "toi") else -1 if m[1] in ("truoc", "ngoai") else 0)
    return date(year, 1, 1), date(year, 12, 31)


def _year_numbered(m: re.Match[str], today: date) -> tuple[date, date] | None:
    year = int(m[1])
    return date(year, 1, 1), date(year, 12, 31)


def _next_days(m: re.Match[str], today: date) -> tuple[date, date] | None:
    days = int(m[1])
    if not 0 < days <= 366:
        return None
    return today, today + timedelta(days=days)


def _this_month_rest(m: re.Match[str], today: date) -> tuple[date, date] | None:
    return today, _month_end(today.year, today.month)


_RULES: list[Rule] = [
    (re.compile(rf"\btu\s+{_DATE}\s*(?:den|toi|-)\s*{_DATE}\b"), _range),
    # "1/10 - 31/12", "01/10/2026-31/12/2026" (a range typed without spaces, as in /xuat).
    (re.compile(rf"(?<![\d/]){_DATE}(?:\s+den\s+|\s*[-–—]\s*){_DATE}\b"), _range),
    (re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?\b"), _one_date),
    (re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b"), _month_year),
    (re.compile(r"\bquy\s+(iv|iii|ii|i|\d)\b(?:\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b)?"), _quarter_numbered),
    (re.compile(r"\bq([1-4])\b(?:\s*/\s*(\d{4})\b)?"), _quarter_numbered),
    (
        re.compile(r"(?<![\d/.])(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?(?![\d/])"),
        _one_date,
    ),
    (re.compile(r"\b(hom nay|ngay mai|hom qua|ngay kia|hom kia)\b"), _day_word),
    (re.compile(rf"\btuan\s+({_NOW}|{_NEXT}|{_PREV})\b"), _week),
    (re.compile(r"\b(?:tu nay den|tu gio den)\s+(?:het|cuoi)\s+thang\b"), _this_month_rest),
    (re.compile(rf"\bthang\s+({_NOW}|{_NEXT}|{_PREV})\b"), _month_relative),
    (re.compile(r"\bthang\s+(\d{1,2})\b(?!\s*[/.-]\s*\d)"), _month_number),
    (re.compile(rf"\bquy\s+({_NOW}|{_NEXT}|{_PREV})\b"), _quarter_relative),
    (re.compile(r"\b(?:6|sau) thang (dau|cuoi) nam\b(?:\s+(\d{4})\b)?"), _half_year),
    (re.compile(r"\bnua (dau|cuoi) nam\b(?:\s+(\d{4})\b)?"), _half_year),
    (re.compile(r"\bnam\s+(nay|sau|toi|truoc|ngoai)\b"), _year_relative),
    (re.compile(r"\bnam\s+(\d{4})\b"), _year_numbered),
    (re.compile(r"\b(\d{1,3})\s+ngay\s+(?:toi|sap toi|nua|tiep theo)\b"), _next_days),
]


def find_period_span(folded_text: str, today: date) -> Span | None:
    """Like `find_period`, but with the character span of the words in `folded_text`."""
    for pattern, build in _RULES:
        for match in pattern.finditer(folded_text):
            try:
                found = build(match, today)
            except (ValueError, OverflowError):
                found = None
            if found is not None:
                return found[0], found[1], match.span()
    return None


def find_period(folded_text: str, today: date) -> tuple[date, date, str] | None:
    """The first period named in `folded_text`: (start, end, the words matched), or None."""
    found = find_period_span(folded_text, today)
    if found is None:
        return None
    start, end, (i, j) = found
    return start, end, folded_text[i:j]
