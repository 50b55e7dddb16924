"""The reminder planner: what is due at a given `now`, with injected time (no clock, no sleep)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reminders.planner import (
    PlannerConfig,
    Recipient,
    group_for_delivery,
    in_quiet_hours,
    plan_reminders,
    postpone_out_of_quiet,
    reminder_key,
)
from bot.settings import Settings

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = PlannerConfig(tz=TZ)
AGENCY = 10
UNIT = 11
ALICE = Recipient("telegram:1", frozenset({AGENCY}))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def task(
    task_id: int = 1,
    dues: tuple[date, ...] = (date(2022, 6, 30),),
    *,
    lead_id: int | None = AGENCY,
    done: dict[date, date | None] | None = None,
    kind: Kind = Kind.ONCE,
) -> TaskView:
    done = done or {}
    occurrences = tuple(
        OccurrenceView(
            id=task_id * 100 + i,
            due=due,
            status=OccurrenceStatus.DONE if due in done else OccurrenceStatus.OPEN,
            done_at=done.get(due),
        )
        for i, due in enumerate(dues)
    )
    return TaskView(task_id, f"Nhiệm vụ {task_id}", lead_id, "Sở Tư pháp", kind, occurrences=occurrences)


def plan(tasks: list[TaskView], now: datetime, recipients=(ALICE,), config: PlannerConfig = CONFIG, **kw):
    return plan_reminders(tasks, list(recipients), now=now, config=config, **kw)


def leads(reminders) -> list[str]:
    return [r.lead for r in reminders]


DUE = date(2022, 6, 30)


@pytest.mark.parametrize(
    ("now", "expected_lead", "days_left"),
    [
        (at(DUE - timedelta(days=7), 8, 0), "d7", 7),
        (at(DUE - timedelta(days=3), 8, 5), "d3", 3),
        (at(DUE - timedelta(days=1), 12, 0), "d1", 1),
        (at(DUE, 8, 0), "d0", 0),
    ],
)
def test_each_lead_time_goes_out_at_remind_at(now: datetime, expected_lead: str, days_left: int) -> None:
    [reminder] = plan([task()], now)
    assert reminder.lead == expected_lead
    assert reminder.days_left == days_left
    assert reminder.scheduled_at == at(now.date(), 8, 0)
    assert reminder.key == f"100@2022-06-30:telegram:1:{expected_lead}" == reminder_key(
        100, DUE, "telegram:1", expected_lead
    )
    assert reminder.recipient == "telegram:1" and reminder.due == DUE and reminder.occurrence_id == 100


def test_nothing_before_the_hour_or_far_from_the_due_date() -> None:
    assert plan([task()], at(DUE - timedelta(days=7), 7, 59)) == []
    assert plan([task()], at(DUE - timedelta(days=30), 9, 0)) == []


def test_between_leads_the_latest_passed_one_is_returned_again_with_the_same_key() -> None:
    first = plan([task()], at(DUE - timedelta(days=7), 8, 0))
    later = plan([task()], at(DUE - timedelta(days=5), 16, 30))  # d7 passed, d3 not yet
    assert [r.key for r in first] == [r.key for r in later] == ["100@2022-06-30:telegram:1:d7"]
    assert later[0].scheduled_at == first[0].scheduled_at
    assert later[0].days_left == 5


@settings(max_examples=60, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=60 * 24 * 3 - 1))
def test_key_is_the_same_for_any_now_before_the_next_lead(minutes: int) -> None:
    """Between d3 (27/06 08:00) and d1 (29/06 08:00) every tick plans exactly the d3 key."""
    now = at(date(2022, 6, 27), 8, 0) + timedelta(minutes=minutes)
    result = plan([task()], now)
    expected = "100@2022-06-30:telegram:1:d3" if now < at(date(2022, 6, 29), 8, 0) else "100@2022-06-30:telegram:1:d1"
    assert [r.key for r in result] == [expected]


def test_naive_and_utc_now_mean_the_same_local_moment() -> None:
    local = at(DUE - timedelta(days=3), 8, 0)
    as_utc = local.astimezone(ZoneInfo("UTC"))
    naive = local.replace(tzinfo=None)
    assert plan([task()], local) == plan([task()], as_utc) == plan([task()], naive)
    assert leads(plan([task()], as_utc - timedelta(minutes=1))) == ["d7"]  # d3 not yet


# -- quiet hours ------------------------------------------------------------------------------


def test_quiet_hours_wrapping_midnight() -> None:
    quiet = (time(21, 0), time(7, 0))
    assert in_quiet_hours(time(22, 0), quiet) and in_quiet_hours(time(6, 59), quiet)
    assert in_quiet_hours(time(21, 0), quiet) and not in_quiet_hours(time(7, 0), quiet)
    assert not in_quiet_hours(time(12, 0), quiet) and not in_quiet_hours(time(22, 0), None)
    assert postpone_out_of_quiet(time(22, 30), quiet) == (1, time(7, 0))  # to the next morning
    assert postpone_out_of_quiet(time(5, 0), quiet) == (0, time(7, 0))
    assert postpone_out_of_quiet(time(9, 0), quiet) == (0, time(9, 0))
    day_quiet = (time(12, 0), time(13, 30))
    assert postpone_out_of_quiet(time(12, 15), day_quiet) == (0, time(13, 30))


def test_remind_at_inside_quiet_hours_is_postponed_to_their_end() -> None:
    config = PlannerConfig(remind_at=time(6, 0), quiet_hours=(time(21, 0), time(7, 0)), tz=TZ)
    d3 = DUE - timedelta(days=3)
    assert leads(plan([task()], at(d3, 6, 30), config=config)) == ["d7"]  # d3 not yet
    [reminder] = plan([task()], at(d3, 7, 0), config=config)
    assert reminder.lead == "d3" and reminder.scheduled_at == at(d3, 7, 0)


def test_late_evening_hour_moves_to_the_next_morning() -> None:
    config = PlannerConfig(remind_at=time(22, 0), quiet_hours=(time(21, 0), time(7, 0)), tz=TZ)
    d3 = DUE - timedelta(days=3)
    assert leads(plan([task()], at(d3, 23, 0), config=config)) == ["d7"]
    [reminder] = plan([task()], at(d3 + timedelta(days=1), 7, 0), config=config)
    assert reminder.lead == "d3" and reminder.scheduled_at == at(d3 + timedelta(days=1), 7, 0)
    assert reminder.days_left == 2


def test_per_user_hour_inside_quiet_hours_is_postponed_too() -> None:
    night_owl = Recipient("zalo:abc", frozenset({AGENCY}), remind_at=time(23, 30))
    d1 = DUE - timedelta(days=1)
    assert leads(plan([task()], at(d1, 23, 45), recipients=[night_owl])) == ["d3"]
    result = plan([task()], at(DUE, 7, 0), recipients=[night_owl])
    assert [(r.lead, r.scheduled_at) for r in result] == [("d1", at(DUE, 7, 0))]


def test_no_quiet_hours() -> None:
    config = PlannerConfig(remind_at=time(23, 0), quiet_hours=None, tz=TZ)
    [reminder] = plan([task()], at(DUE, 23, 0), config=config)
    assert reminder.lead == "d0" and reminder.scheduled_at == at(DUE, 23, 0)


# -- status per occurrence, nags, kinds ---------------------------------------------------------


def test_quarterly_task_q1_done_q2_open() -> None:
    quarterly = task(
        7,
        (date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30), date(2022, 12, 31)),
        done={date(2022, 3, 31): date(2022, 3, 28)},
        kind=Kind.RECURRING,
    )
    result = plan([quarterly], at(date(2022, 6, 27), 8, 0))
    assert [(r.occurrence_id, r.due, r.lead) for r in result] == [(701, date(2022, 6, 30), "d3")]


def test_overdue_occurrence_is_nagged_weekly_until_done() -> None:
    overdue = task(dues=(date(2022, 6, 1),))
    assert leads(plan([overdue], at(date(2022, 6, 7), 9, 0))) == ["d0"]
    assert leads(plan([overdue], at(date(2022, 6, 8), 7, 59))) == ["d0"]
    [nag] = plan([overdue], at(date(2022, 6, 8), 8, 0))
    assert (nag.lead, nag.days_left, nag.key) == ("nag1", -7, "100@2022-06-01:telegram:1:nag1")
    assert leads(plan([overdue], at(date(2022, 6, 14), 20, 0))) == ["nag1"]
    assert leads(plan([overdue], at(date(2022, 6, 15), 8, 0))) == ["nag2"]
    unlimited = PlannerConfig(tz=TZ, max_nags=None)
    assert leads(plan([overdue], at(date(2022, 9, 1), 8, 0), config=unlimited)) == ["nag13"]
    done = task(dues=(date(2022, 6, 1),), done={date(2022, 6, 1): date(2022, 6, 20)})
    assert plan([done], at(date(2022, 6, 22), 8, 0)) == []


def test_nags_stop_after_four_weeks() -> None:
    """NHACVIEC_NAG_WEEKS (4): nag1…nag4, then nothing; the occurrence stays overdue elsewhere."""
    overdue = task(dues=(date(2022, 6, 1),))
    assert leads(plan([overdue], at(date(2022, 6, 29), 8, 0))) == ["nag4"]
    assert leads(plan([overdue], at(date(2022, 7, 5), 20, 0))) == ["nag4"]  # same key: claimed once
    assert plan([overdue], at(date(2022, 7, 6), 8, 0)) == []  # a fifth week: no nag5
    assert plan([overdue], at(date(2022, 9, 1), 8, 0)) == []
    # after downtime the fourth nag still goes out late, once
    assert leads(plan([overdue], at(date(2022, 7, 2), 9, 0))) == ["nag4"]
    two = PlannerConfig(tz=TZ, max_nags=2)
    assert leads(plan([overdue], at(date(2022, 6, 15), 8, 0), config=two)) == ["nag2"]
    assert plan([overdue], at(date(2022, 6, 22), 8, 0), config=two) == []
    assert plan([overdue], at(date(2022, 6, 8), 8, 0), config=PlannerConfig(tz=TZ, max_nags=0)) == []


def test_archived_plan_sends_nothing() -> None:
    from dataclasses import replace

    assert plan([replace(task(), plan_archived=True)], at(DUE, 8, 0)) == []
    assert leads(plan([task()], at(DUE, 8, 0))) == ["d0"]


def test_nags_can_be_turned_off() -> None:
    config = PlannerConfig(nag_every_days=0, tz=TZ)
    overdue = task(dues=(date(2022, 6, 1),))
    assert leads(plan([overdue], at(date(2022, 6, 3), 8, 0), config=config)) == ["d0"]
    assert plan([overdue], at(date(2022, 6, 20), 8, 0), config=config) == []


def test_continuous_unspecified_and_leadless_tasks_produce_nothing() -> None:
    continuous = TaskView(1, "Thường xuyên", AGENCY, "Sở", Kind.CONTINUOUS)
    unspecified = TaskView(2, "Theo quy định", AGENCY, "Sở", Kind.UNSPECIFIED)
    no_lead = task(3, lead_id=None)
    assert plan([continuous, unspecified, no_lead], at(DUE, 9, 0)) == []


# -- recipients ---------------------------------------------------------------------------------


def test_only_recipients_of_the_lead_agency_and_not_muted() -> None:
    manager = Recipient("telegram:2", frozenset({AGENCY, UNIT}), wants_digest=True)
    other = Recipient("telegram:3", frozenset({99}))
    muted = Recipient("telegram:4", frozenset({AGENCY, UNIT}), muted_task_ids=frozenset({1}))
    group = Recipient("telegram:-100123", frozenset({AGENCY, UNIT}))
    tasks = [task(1), task(2, lead_id=UNIT)]
    result = plan(tasks, at(DUE, 8, 0), recipients=[ALICE, manager, other, muted, group])
    assert sorted((r.recipient, r.task.id) for r in result) == [
        ("telegram:-100123", 1),
        ("telegram:-100123", 2),
        ("telegram:1", 1),
        ("telegram:2", 1),
        ("telegram:2", 2),
        ("telegram:4", 2),
    ]
    assert len({r.key for r in result}) == len(result)


def test_same_address_twice_is_one_recipient() -> None:
    again = Recipient("telegram:1", frozenset({AGENCY, UNIT}))
    result = plan([task(1), task(2, lead_id=UNIT)], at(DUE, 8, 0), recipients=[ALICE, again])
    assert sorted(r.key for r in result) == ["100@2022-06-30:telegram:1:d0", "200@2022-06-30:telegram:1:d0"]


def test_per_user_lead_days_and_hour() -> None:
    custom = Recipient("telegram:5", frozenset({AGENCY}), remind_days=(5, 2), remind_at=time(14, 0))
    d5 = DUE - timedelta(days=5)
    assert plan([task()], at(d5, 13, 59), recipients=[custom]) == []
    [reminder] = plan([task()], at(d5, 14, 0), recipients=[custom])
    assert (reminder.recipient, reminder.lead) == ("telegram:5", "d5")
    both = plan([task()], at(DUE - timedelta(days=3), 14, 0), recipients=[custom, ALICE])
    assert sorted((r.recipient, r.lead) for r in both) == [("telegram:1", "d3"), ("telegram:5", "d5")]
    # no d0 in their list: on the due day the d2 reminder is still the latest one
    assert leads(plan([task()], at(DUE, 15, 0), recipients=[custom])) == ["d2"]


def test_config_from_settings() -> None:
    s = Settings(
        _env_file=None,
        nhacviec_remind_days="10,2",
        nhacviec_remind_at="09:15",
        nhacviec_quiet_hours="",
        nhacviec_timezone="Asia/Bangkok",
    )
    config = replace(s.planner_config(), nag_every_days=3)
    assert config.remind_days == (10, 2) and config.remind_at == time(9, 15)
    assert config.quiet_hours is None and config.nag_every_days == 3
    assert str(config.tz) == "Asia/Bangkok"


# -- downtime and catch-up ----------------------------------------------------------------------


def test_after_downtime_only_the_latest_passed_lead_is_returned() -> None:
    # down from before d7 until after d3: only d3, never d7 (neither now nor later)
    now = at(DUE - timedelta(days=2), 10, 0)
    assert [r.key for r in plan([task()], now)] == ["100@2022-06-30:telegram:1:d3"]
    for minutes in range(0, 60 * 48, 37):
        later = now + timedelta(minutes=minutes)
        assert "100@2022-06-30:telegram:1:d7" not in {r.key for r in plan([task()], later)}


def test_nothing_older_than_the_catchup_horizon() -> None:
    config = PlannerConfig(remind_days=(30,), nag_every_days=0, tz=TZ)
    assert leads(plan([task()], at(DUE - timedelta(days=30), 8, 0), config=config)) == ["d30"]
    assert leads(plan([task()], at(DUE - timedelta(days=24), 8, 0), config=config)) == ["d30"]
    assert plan([task()], at(DUE - timedelta(days=23), 8, 0), config=config) == []
    # an occurrence overdue for 3 weeks: the current nag, not a stale d7
    assert leads(plan([task(dues=(date(2022, 6, 1),))], at(date(2022, 6, 23), 9, 0))) == ["nag3"]


def test_since_returns_only_what_became_due_after_the_last_tick() -> None:
    tasks = [
        task(1),
        task(2, dues=(date(2022, 7, 2),)),
        task(3, dues=(date(2022, 6, 1),)),
        task(4, dues=(date(2022, 7, 5),)),
    ]
    now = at(date(2022, 6, 29), 8, 1)  # task 3: its 4th nag goes out now too
    full = plan(tasks, now)
    assert sorted((r.task.id, r.lead) for r in full) == [(1, "d1"), (2, "d3"), (3, "nag4"), (4, "d7")]
    recent = plan(tasks, now, since=now - timedelta(minutes=2))
    assert sorted((r.task.id, r.lead) for r in recent) == [(1, "d1"), (2, "d3"), (3, "nag4")]
    assert plan(tasks, now, since=now) == []
    an_hour_later = now + timedelta(hours=1)
    assert plan(tasks, an_hour_later, since=now) == []
    assert len(plan(tasks, an_hour_later)) == 4  # a full pass still sees them (claimed by then)


def test_catchup_grouping_one_message_for_many_missed() -> None:
    tasks = [task(i, dues=(DUE + timedelta(days=i),)) for i in range(1, 6)]
    now = at(DUE, 10, 0)  # down since yesterday: d1, d3, d3 (postponed), …
    bob = Recipient("telegram:2", frozenset({UNIT}))
    planned = plan([*tasks, task(9, lead_id=UNIT)], now, recipients=[ALICE, bob])
    deliveries = group_for_delivery(planned, now=now, catchup_threshold=3)
    alice = [d for d in deliveries if d.recipient == "telegram:1"]
    assert len(alice) == 1 and alice[0].is_catchup
    assert [r.task.id for r in alice[0].reminders] == [1, 2, 3, 4, 5]  # sorted by due date
    bob_deliveries = [d for d in deliveries if d.recipient == "telegram:2"]
    assert [(len(d.reminders), d.is_catchup) for d in bob_deliveries] == [(1, False)]
    assert sorted(k for d in deliveries for k in d.keys) == sorted(r.key for r in planned)


def test_grouping_on_time_reminders_bundles_but_is_not_a_catchup() -> None:
    tasks = [task(i, dues=(DUE,)) for i in range(1, 5)]
    now = at(DUE, 8, 0) + timedelta(seconds=20)
    planned = plan(tasks, now)
    [delivery] = group_for_delivery(planned, now=now)
    assert not delivery.is_catchup and len(delivery.reminders) == 4
    few = group_for_delivery(planned[:2], now=now)
    assert [len(d.reminders) for d in few] == [1, 1]
    assert group_for_delivery([], now=now) == []


def test_grouping_accepts_a_naive_local_now() -> None:
    tasks = [task(i, dues=(DUE,)) for i in range(1, 4)]
    planned = plan(tasks, at(DUE, 12, 0))
    [delivery] = group_for_delivery(planned, now=datetime(2022, 6, 30, 12, 0))
    assert delivery.is_catchup  # sent at 08:00, now noon: missed


def test_a_moved_due_date_gets_its_reminders_again() -> None:
    """DESIGN.md: the claim key names the occurrence and its due date."""
    [before] = plan([task(dues=(DUE,))], at(DUE - timedelta(days=3), 9, 0))
    moved = DUE + timedelta(days=7)
    [after] = plan([task(dues=(moved,))], at(moved - timedelta(days=3), 9, 0))
    assert before.occurrence_id == after.occurrence_id and before.lead == after.lead
    assert before.key != after.key
