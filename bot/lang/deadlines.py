"""The Vietnamese deadline grammar (placeholder: being replaced by the full grammar, issue 3).

Contract (keep it): `parse_deadline(text, today=..., year=None, window=None, quarter_day=None)`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from bot.domain import Deadline, Kind
from bot.text import fold, nfc


def parse_deadline(
    text: str,
    *,
    today: date,
    year: int | None = None,
    window: tuple[date, date] | None = None,
    quarter_day: int | None = None,
) -> Deadline:
    """Turn a deadline phrase into its kind and due dates.

    `year` fills a missing year (the plan's year; default today's). Recurring rules expand
    inside `window` (default: the calendar year of `year`, else of `today`). `quarter_day` is
    the due day of quarterly rules (None = the quarter's last day).
    """
    raw = nfc(text)
    f = fold(raw)
    y = year or today.year
    if not f:
        return Deadline(raw, Kind.UNSPECIFIED)
    if "thuong xuyen" in f:
        return Deadline(raw, Kind.CONTINUOUS)
    m = re.search(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", f)
    if m:
        return Deadline(raw, Kind.ONCE, (date(int(m[3] or y), int(m[2]), int(m[1])),))
    m = re.search(r"quy (iv|iii|ii|i|\d)(?:/(\d{4}))?", f)
    if m:
        q = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(m[1]) or int(m[1])
        qy = int(m[2] or y)
        return Deadline(raw, Kind.ONCE, (date(qy, 3 * q, calendar.monthrange(qy, 3 * q)[1]),))
    m = re.search(r"nam (\d{4})", f)
    if m:
        return Deadline(raw, Kind.ONCE, (date(int(m[1]), 12, 31),))
    return Deadline(raw, Kind.UNSPECIFIED)
