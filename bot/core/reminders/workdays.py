"""Working days: weekends and public holidays, as plain values (the caller supplies the holidays).

Pure: `WorkCalendar` is built from a set of dates (handlers take them from the `holidays`
package, country VN, Tết included) and answers "is this a working day?" and "which working day
is N working days before this one?". The planner uses it through `WorkIndex`, which turns those
questions into list lookups over day ordinals so planning 50,000 tasks stays fast.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))  # Saturday, Sunday

    @classmethod
    def of(cls, holidays: Iterable[date], weekend: Iterable[int] = (5, 6)) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(weekend))

    def is_working(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def on_or_before(self, day: date) -> date:
        """`day` if it is a working day, else the working day before it."""
        while not self.is_working(day):
            day -= timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` ("còn 2 ngày làm việc" from a
        Wednesday to a Friday); negative when `end` is before `start`. Counted, not walked."""
        if end < start:
            return -self.working_days_between(end, start)
        weeks, extra = divmod((end - start).days, 7)
        count = weeks * (7 - len(self.weekend))
        base = start + timedelta(weeks=weeks)
        count += sum(1 for k in range(1, extra + 1) if (base + timedelta(days=k)).weekday() not in self.weekend)
        weekday_holidays = self._weekday_holidays
        return count - (bisect_right(weekday_holidays, end) - bisect_right(weekday_holidays, start))

    @cached_property
    def _weekday_holidays(self) -> list[date]:
        """The holidays that fall on a working weekday, in order (what a count of days takes off)."""
        return sorted(h for h in self.holidays if h.weekday() not in self.weekend)

    def on_or_after(self, day: date) -> date:
        """`day` if it is a working day, else the working day after it (where overdue nags go)."""
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def send_day(self, due: date, lead_days: int) -> date:
        """The day a reminder `lead_days` working days before `due` goes out.

        0: the due day itself, or the working day before it when it is a weekend or holiday;
        n ≥ 1: the n-th working day strictly before the due day (D-1 of a Monday is the Friday).
        """
        if lead_days <= 0:
            return self.on_or_before(due)
        day = due
        for _ in range(lead_days):
            day = self.on_or_before(day - timedelta(days=1))
        return day


class WorkIndex:
    """Working days between two ordinals as two lists: `days[i]` is the i-th working day (an
    ordinal) and `pos(o)` the index of the last working day on or before ordinal `o`."""

    def __init__(self, calendar: WorkCalendar, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        from_ord = date.fromordinal
        self.days = [o for o in range(lo, hi + 1) if calendar.is_working(from_ord(o))]
        self._pos = [bisect_right(self.days, o) - 1 for o in range(lo, hi + 1)]

    def pos(self, ordinal: int) -> int:
        return self._pos[ordinal - self.lo]

    def covers(self, ordinal: int) -> bool:
        return self.lo <= ordinal <= self.hi
