"""The managers' digest (four states, late rate, lists), its chart, and reminder message texts."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.i18n import use_language
from bot.core.reminders.chart import digest_chart_png
from bot.core.reminders.digest import build_digest, digest_blocks, digest_json, occurrence_state
from bot.core.reminders.messages import days_phrase, reminder_blocks
from bot.core.reminders.planner import Delivery, PlannerConfig, Recipient, group_for_delivery, plan_reminders

TODAY = date(2022, 7, 10)
DEPT, OFFICE, INSPECT, OTHER = 1, 2, 3, 9
NAMES = {DEPT: "Sở Tư pháp", OFFICE: "Văn phòng Sở", INSPECT: "Thanh tra Sở"}


def occ(occ_id: int, due: date, done_at: date | None = None, *, done: bool | None = None) -> OccurrenceView:
    is_done = done if done is not None else done_at is not None
    return OccurrenceView(occ_id, due, OccurrenceStatus.DONE if is_done else OccurrenceStatus.OPEN, done_at)


def tv(
    task_id: int, lead_id: int | None, *occurrences: OccurrenceView, title: str = "", kind=Kind.ONCE
) -> TaskView:
    return TaskView(
        task_id,
        title or f"Nhiệm vụ {task_id}",
        lead_id,
        NAMES.get(lead_id or 0, "Sở khác"),
        kind,
        plan="444/KH-STP",
        occurrences=occurrences,
    )


TASKS = [
    # quarterly report of the department: Q1 done on time, Q2 done late, Q3 and Q4 still open
    tv(
        1,
        DEPT,
        occ(11, date(2022, 3, 31), date(2022, 3, 30)),
        occ(12, date(2022, 6, 30), date(2022, 7, 5)),
        occ(13, date(2022, 9, 30)),
        occ(14, date(2022, 12, 31)),
    ),
    tv(2, OFFICE, occ(21, date(2022, 7, 1))),  # open, 9 days late
    tv(3, OFFICE, occ(31, date(2022, 7, 8))),  # open, 2 days late
    tv(4, INSPECT, occ(41, date(2022, 7, 10))),  # due today: open, in time
    tv(5, INSPECT, occ(51, date(2022, 7, 17))),  # due in 7 days
    tv(6, INSPECT, occ(61, date(2022, 7, 18))),  # in 8 days: not "soon"
    tv(7, INSPECT, occ(71, date(2022, 5, 1), None, done=True)),  # done, no date recorded: on time
    tv(8, OTHER, occ(81, date(2022, 7, 1))),  # another agency: not counted
    tv(9, DEPT, title="Thường xuyên cập nhật", kind=Kind.CONTINUOUS),
    tv(10, None, occ(101, date(2022, 7, 1))),  # lead not resolved
]


def digest(**kw):
    return build_digest(TASKS, agency_ids={DEPT, OFFICE, INSPECT}, unit_names=NAMES, today=TODAY, **kw)


def test_occurrence_state() -> None:
    due = date(2022, 6, 30)
    assert occurrence_state(OccurrenceStatus.DONE, due, due, TODAY) == "done_on_time"
    assert occurrence_state(OccurrenceStatus.DONE, due, due + timedelta(days=1), TODAY) == "done_late"
    assert occurrence_state(OccurrenceStatus.DONE, due, None, TODAY) == "done_on_time"
    assert occurrence_state(OccurrenceStatus.OPEN, TODAY, None, TODAY) == "open_on_time"
    assert occurrence_state(OccurrenceStatus.OPEN, TODAY - timedelta(days=1), None, TODAY) == "open_late"


def test_four_states_per_occurrence_and_per_unit() -> None:
    d = digest()
    total = d.total
    assert (total.done_on_time, total.done_late, total.open_on_time, total.open_late) == (2, 1, 5, 2)
    assert total.total == 10 and total.late == 3
    assert abs(total.late_rate - 0.3) < 1e-9
    by_unit = {u.name: u.counts for u in d.units}
    assert list(by_unit) == ["Sở Tư pháp", "Thanh tra Sở", "Văn phòng Sở"]  # sorted by folded name
    assert by_unit["Sở Tư pháp"].as_dict()["late_rate"] == 0.25
    assert (by_unit["Văn phòng Sở"].open_late, by_unit["Văn phòng Sở"].total) == (2, 2)
    assert (by_unit["Thanh tra Sở"].open_on_time, by_unit["Thanh tra Sở"].done_on_time) == (3, 1)
    assert d.without_deadline == 1


def test_overdue_sorted_by_lateness_and_due_soon_within_seven_days() -> None:
    d = digest()
    assert [(i.task.id, -i.days_left, i.unit) for i in d.overdue] == [
        (2, 9, "Văn phòng Sở"),
        (3, 2, "Văn phòng Sở"),
    ]
    assert [(i.task.id, i.days_left) for i in d.due_soon] == [(4, 0), (5, 7)]


def test_period_limits_the_counted_occurrences() -> None:
    d = digest(period=(date(2022, 7, 1), date(2022, 9, 30)))
    assert d.total.total == 6  # Q3 report, tasks 2-6
    assert d.total.done_late == 0 and d.total.open_late == 2


def test_empty_digest() -> None:
    d = build_digest([], agency_ids={DEPT}, unit_names=NAMES, today=TODAY)
    assert d.total.total == 0 and d.total.late_rate == 0.0
    text = "\n".join(digest_blocks(d, agency_label="Sở Tư pháp", today=TODAY))
    assert "Chưa có nhiệm vụ nào có thời hạn." in text
    assert digest_json(d)["units"] == []
    assert digest_chart_png(d).startswith(b"\x89PNG")


def test_digest_blocks_text() -> None:
    blocks = digest_blocks(digest(), agency_label="Sở Tư pháp <tỉnh>", today=TODAY)
    text = "\n".join(blocks)
    assert "Sở Tư pháp &lt;tỉnh&gt;" in text and "10/07/2022" in text
    for label in ("Hoàn thành đúng hạn: 2", "Hoàn thành quá hạn: 1", "Đang thực hiện trong hạn: 5"):
        assert label in text
    assert "Đang thực hiện quá hạn: 2" in text and "Tỷ lệ quá hạn: 30%" in text
    assert "trễ 9 ngày — Văn phòng Sở" in text
    assert "hôm nay là hạn — Thanh tra Sở" in text and "còn 7 ngày — Thanh tra Sở" in text
    assert "Nhiệm vụ 6" not in text and "Nhiệm vụ 8" not in text
    assert "1 nhiệm vụ thường xuyên" in text
    assert text.index("Nhiệm vụ 2") < text.index("Nhiệm vụ 3")


def test_digest_blocks_are_capped_and_escape_titles() -> None:
    many = [
        tv(100 + i, DEPT, occ(1000 + i, TODAY - timedelta(days=i + 1)), title=f"Báo cáo <b>{i}</b>")
        for i in range(30)
    ]
    d = build_digest(many, agency_ids={DEPT}, unit_names=NAMES, today=TODAY)
    blocks = digest_blocks(d, agency_label="Sở Tư pháp", today=TODAY, limit=5)
    text = "\n".join(blocks)
    assert "<b>0</b>" not in text and "Báo cáo &lt;b&gt;29&lt;/b&gt;" in text  # most late first
    assert "… và 25 việc quá hạn khác" in text
    assert "Tỷ lệ quá hạn: 100%" in text


def test_digest_json() -> None:
    data = digest_json(digest())
    assert data["today"] == "2022-07-10"
    assert data["total"] == {
        "done_on_time": 2,
        "done_late": 1,
        "open_on_time": 5,
        "open_late": 2,
        "total": 10,
        "late": 3,
        "late_rate": 0.3,
    }
    assert data["overdue"][0]["days_late"] == 9 and data["overdue"][0]["due"] == "2022-07-01"
    assert [u["name"] for u in data["units"]] == ["Sở Tư pháp", "Thanh tra Sở", "Văn phòng Sở"]
    assert data["due_soon"][1]["days_left"] == 7
    import json

    json.dumps(data, ensure_ascii=False)


def test_chart_is_a_png_of_a_sensible_size() -> None:
    png = digest_chart_png(digest())
    assert png.startswith(b"\x89PNG")
    from matplotlib.image import imread

    image = imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width >= 800 and 200 <= height <= 1200


def test_chart_with_many_units_sums_the_rest() -> None:
    names = {i: f"Phòng số {i}" for i in range(1, 41)}
    tasks = [tv(i, i, occ(i, TODAY + timedelta(days=i % 5))) for i in range(1, 41)]
    d = build_digest(tasks, agency_ids=set(names), unit_names=names, today=TODAY)
    assert len(d.units) == 40
    assert digest_chart_png(d).startswith(b"\x89PNG")


# -- reminder messages ---------------------------------------------------------------------------

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_days_phrase() -> None:
    assert days_phrase(date(2022, 6, 30), date(2022, 6, 27)) == "còn 3 ngày"
    assert days_phrase(date(2022, 6, 30), date(2022, 6, 30)) == "hôm nay là hạn"
    assert days_phrase(date(2022, 6, 30), date(2022, 7, 8)) == "đã trễ 8 ngày"


def _planned(now: datetime, tasks: list[TaskView]):
    person = Recipient("telegram:1", frozenset({DEPT, OFFICE}))
    return plan_reminders(tasks, [person], now=now, config=PlannerConfig(tz=TZ))


def test_single_reminder_text() -> None:
    task = tv(1, DEPT, occ(11, date(2022, 6, 30)), title="Báo cáo <CCHC> & ISO")
    now = datetime.combine(date(2022, 6, 27), time(8, 0), tzinfo=TZ)
    [delivery] = group_for_delivery(_planned(now, [task]), now=now)
    [block] = reminder_blocks(delivery, now.date())
    assert block.startswith(
        "⏰ Nhắc việc: <b>Báo cáo &lt;CCHC&gt; &amp; ISO</b> — hạn 30/06/2022 (còn 3 ngày)"
    )
    assert "Chủ trì: Sở Tư pháp" in block and "444/KH-STP" in block


def test_catchup_text_one_message_with_one_line_each() -> None:
    tasks = [
        tv(1, DEPT, occ(11, date(2022, 7, 1))),
        tv(2, OFFICE, occ(21, date(2022, 7, 10))),
        tv(3, DEPT, occ(31, date(2022, 7, 14))),
    ]
    now = datetime.combine(date(2022, 7, 10), time(11, 0), tzinfo=TZ)  # down all morning
    deliveries = group_for_delivery(_planned(now, tasks), now=now)
    [delivery] = deliveries
    assert delivery.is_catchup
    blocks = reminder_blocks(delivery, now.date())
    assert blocks[0] == "Trong thời gian bot tạm dừng có 3 nhắc việc chưa gửi:"
    assert "Nhiệm vụ 1</b> — hạn 01/07/2022 (đã trễ 9 ngày)" in blocks[1]
    assert "Nhiệm vụ 2</b> — hạn 10/07/2022 (hôm nay là hạn)" in blocks[2]
    assert "Nhiệm vụ 3</b> — hạn 14/07/2022 (còn 4 ngày)" in blocks[3]


def test_bundle_text_and_english() -> None:
    task = tv(1, DEPT, occ(11, date(2022, 6, 30)))
    now = datetime.combine(date(2022, 6, 30), time(8, 0), tzinfo=TZ)
    [reminder] = _planned(now, [task])
    bundle = Delivery("telegram:1", (reminder, reminder._replace(key="x")))
    blocks = reminder_blocks(bundle, now.date())
    assert blocks[0].startswith("⏰ Nhắc việc: 2 việc") and len(blocks) == 3
    assert reminder_blocks(Delivery("telegram:1", ()), now.date()) == []
    with use_language("en"):  # falls back to the Vietnamese ids until the catalog has them
        assert reminder_blocks(bundle, now.date())


def test_digest_day_monday_to_friday_after_the_hour() -> None:
    from bot.core.reminders.digest import digest_day, digest_key

    kw = {"digest_at": time(7, 30), "tz": TZ, "quiet_hours": (time(21, 0), time(7, 0))}
    friday = date(2022, 7, 8)
    assert digest_day(datetime.combine(friday, time(7, 29), tzinfo=TZ), **kw) is None
    assert digest_day(datetime.combine(friday, time(7, 30), tzinfo=TZ), **kw) == friday
    assert digest_day(datetime.combine(friday, time(18, 0)), **kw) == friday  # naive = local, late
    assert digest_day(datetime.combine(date(2022, 7, 9), time(9, 0), tzinfo=TZ), **kw) is None
    assert digest_day(datetime(2022, 7, 8, 1, 0, tzinfo=ZoneInfo("UTC")), **kw) == friday  # 08:00 local
    night = {**kw, "digest_at": time(22, 0)}
    assert digest_day(datetime.combine(date(2022, 7, 9), time(7, 0), tzinfo=TZ), **night) == friday
    assert digest_key("telegram:1", friday) == "digest:telegram:1:2022-07-08"
