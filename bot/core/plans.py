"""A plan's life in pure code: the years it covers, and due dates bounded by them.

- **Period** (DESIGN.md "The domain"): the years a plan covers. The extraction reads it from the
  document into `ParsedPlan.period`; when it did not, a title that says "giai đoạn 2026 - 2030"
  (or "2026-2030") gives it; otherwise the plan's year alone.
- **Bounded occurrences**: recurring rules expand over every year of the period, from the signing
  date on when it falls inside the period ("hằng năm" in a 2026–2030 plan → five due dates), and
  no due date of any task lies past the period's last day. The document reader already expands
  its recurring deadlines this way; this is for what it did not (spreadsheets, `--period`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.core.domain import Kind, ParsedPlan
from bot.core.lang.deadlines import parse_deadline, plan_window
from bot.core.text import fold

_PERIOD = re.compile(r"(?:giai\s*doan\s*|nam\s+|\b)((?:19|20)\d\d)\s*(?:-|–|—|den|toi)\s*((?:19|20)\d\d)\b")


_WITH_ARCHIVED = re.compile(
    r"[,;(]?\s*(?:ke\s*ca|bao\s*gom|gom\s*ca|ca)\s+(?:cac\s+)?(?:ke\s*hoach\s+)?(?:da\s+)?luu\s*tru\)?"
)


def wants_archived(text: str) -> tuple[str, bool]:
    """A question that asks to include archived plans ("… kể cả kế hoạch đã lưu trữ"): the
    question without those words, and True; otherwise the text unchanged and False."""
    folded = fold(text)
    match = _WITH_ARCHIVED.search(folded)
    if not match or len(folded) != len(text):
        return (text, bool(match))
    return (text[: match.start()] + text[match.end() :]).strip(), True


_QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?|«[^»]*»?")
_ONE_YEAR = re.compile(r"\bnam\s+((?:19|20)\d\d)\b(?!\s*(?:-|–|—|den|toi)\s*(?:19|20)\d\d)")


def period_from_text(text: str | None) -> tuple[int, int] | None:
    """ "Kế hoạch … giai đoạn 2026 - 2030" → (2026, 2030); None when no range of years is written.

    Conservative, because a one-year plan often names a longer programme it implements: a range
    inside quotation marks (“Đẩy mạnh cải cách hành chính … giai đoạn 2021-2025”) is that
    programme's, and a title that also names one year ("… giai đoạn 2021-2030 năm 2022") is a
    plan for that year.
    """
    folded = _QUOTED.sub(" ", fold(text))
    match = _PERIOD.search(folded)
    if not match or _ONE_YEAR.search(folded[: match.start()] + " " + folded[match.end() :]):
        return None
    first, last = int(match.group(1)), int(match.group(2))
    if not (first <= last <= first + 20):
        return None
    return first, last


def plan_period(parsed: ParsedPlan) -> tuple[int, int] | None:
    """The years the plan covers: what the reader found, else its title's range, else its year."""
    if parsed.period is not None:
        return parsed.period
    found = period_from_text(parsed.title)
    if found is not None and (parsed.year is None or found[0] - 1 <= parsed.year <= found[1]):
        return found
    return (parsed.year, parsed.year) if parsed.year else None


def bound_to_period(parsed: ParsedPlan, *, today: date, quarter_day: int | None = None) -> ParsedPlan:
    """The plan with every task's due dates fitted to its period, and the period set.

    - No due date lies past the period's last day.
    - A recurring task of a plan over several years whose dates the reader expanded inside one
      year only (a spreadsheet, or a period given by the admin) is expanded again over every year
      of the period, from the signing date (`parsed.date`) when it falls inside. Dates the reader
      already spread over the period (the document reader does, with the deadline's context)
      are left as they are.
    """
    period = plan_period(parsed)
    if period is None:
        return parsed
    first, last = period
    start, end = plan_window(parsed.date, parsed.year, period) or (date(first, 1, 1), date(last, 12, 31))
    if start > end:  # signed after its period: the whole period
        start = date(first, 1, 1)
    tasks = []
    for task in parsed.tasks:
        dates = task.dates
        one_year = len({d.year for d in dates}) <= 1
        if first < last and task.kind == Kind.RECURRING and task.deadline and one_year:
            found = parse_deadline(
                task.deadline, today=today, year=first, window=(start, end), quarter_day=quarter_day
            )
            if found.kind == Kind.RECURRING and found.dates:
                dates = found.dates
        if any(d > end for d in dates):
            dates = tuple(d for d in dates if d <= end)
        tasks.append(task if dates == task.dates else replace(task, dates=dates))
    return replace(parsed, period=period, tasks=tuple(tasks))
