"""Working days (issue 15): lead days counted in working days, nothing on weekends or holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reminders.planner import PlannerConfig, Recipient, plan_reminders
from bot.core.reminders.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TET_2027 = [date(2027, 2, d) for d in range(4, 11)]  # as holidays.VN lists them
CAL = WorkCalendar.of([date(2027, 1, 1), *TET_2027, date(2027, 4, 30), date(2027, 5, 1), date(2027, 5, 3)])
CONFIG = PlannerConfig(tz=TZ, calendar=CAL, quiet_hours=None)
ALICE = Recipient("telegram:1", frozenset({10}))


def one(due: date) -> TaskView:
    occ = (OccurrenceView(id=1, due=due, status=OccurrenceStatus.OPEN),)
    return TaskView(1, "Báo cáo", 10, "Sở Tư pháp", Kind.ONCE, occurrences=occ)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def planned(due: date, day: date, config: PlannerConfig = CONFIG) -> list[str]:
    return [r.lead for r in plan_reminders([one(due)], [ALICE], now=at(day), config=config)]


def test_d1_of_a_monday_deadline_goes_on_friday() -> None:
    monday = date(2027, 3, 15)
    assert planned(monday, date(2027, 3, 12)) == ["d1"]  # Friday
    assert planned(monday, date(2027, 3, 13)) == []  # Saturday: nothing at all
    assert planned(monday, date(2027, 3, 14)) == []  # Sunday
    assert planned(monday, date(2027, 3, 15)) == ["d0"]


def test_lead_days_count_working_days() -> None:
    monday = date(2027, 3, 15)
    # D-3 in working days is Wednesday 10, D-7 is Thursday 4.
    assert planned(monday, date(2027, 3, 4)) == ["d7"]
    assert planned(monday, date(2027, 3, 3)) == []
    assert planned(monday, date(2027, 3, 10)) == ["d3"]


def test_tet_is_skipped() -> None:
    due = date(2027, 2, 11)  # the first working day after Tết
    assert planned(due, date(2027, 2, 3)) == ["d1"]  # the last working day before Tết
    for day in TET_2027:
        assert planned(due, day) == []


def test_a_due_date_on_a_holiday_is_reminded_the_working_day_before() -> None:
    sunday = date(2027, 3, 14)
    assert planned(sunday, date(2027, 3, 12)) == ["d0"]  # D-0 and D-1 both fall on Friday: one


def test_an_overdue_nag_is_never_moved_back_onto_the_due_day() -> None:
    """Due the last working day before Tết: D+7 is inside Tết; nag1 goes the first working day after
    it, not back onto D (where it would merge with d0 and the week after Tết would get nothing)."""
    due = date(2027, 2, 3)
    assert planned(due, due) == ["d0"]
    assert planned(due, date(2027, 2, 11)) == ["nag1"]
    assert planned(due, date(2027, 2, 16)) == ["nag1"]
    assert planned(due, date(2027, 2, 17)) == ["nag2"]


def test_calendar_days_when_off() -> None:
    monday = date(2027, 3, 15)
    config = PlannerConfig(tz=TZ, quiet_hours=None)
    assert planned(monday, date(2027, 3, 14), config) == ["d1"]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 120), st.integers(-40, 60))
def test_planner_matches_the_calendar(day_offset: int, due_offset: int) -> None:
    """Brute force: the lead returned is the latest one whose send day has come (in the window)."""
    today = date(2027, 1, 1) + timedelta(days=day_offset)
    due = today + timedelta(days=due_offset)
    got = planned(due, today)
    if not CAL.is_working(today):
        assert got == []
        return
    sends = {f"d{d}": CAL.send_day(due, d) for d in (7, 3, 1, 0)}
    weeks = 1
    max_nags = PlannerConfig().max_nags or 10**6  # NHACVIEC_NAG_WEEKS: nags stop after 4 (issue 17)
    while due + timedelta(days=7 * weeks) <= today + timedelta(days=30) and weeks <= max_nags:
        sends[f"nag{weeks}"] = CAL.on_or_after(due + timedelta(days=7 * weeks))
        weeks += 1
    passed = [(day, name) for name, day in sends.items() if day <= today]
    expected: list[str] = []
    if passed:
        latest_day = max(d for d, _ in passed)
        names = [n for d, n in passed if d == latest_day]
        # on a tie the lead closest to the due date (d0 before d1; a nag over a d-lead)
        name = max(names, key=lambda n: (n.startswith("nag"), -int(n[1:]) if n[0] == "d" else int(n[3:])))
        if latest_day > today - timedelta(days=7):
            expected = [name]
    assert got == expected, (today, due, sends)
