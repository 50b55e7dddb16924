"""The reminder tick against a real database: claims, sends, outcomes, two workers, restarts.

Time is injected; a fake outbox records sends and can fail like Telegram does (429, 5xx,
network errors, 403). Runs on SQLite and, when reachable, PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.core.replies import Reply
from bot.delivery.digests import run_digests
from bot.delivery.ports import DeliveryError
from bot.delivery.sending import SEND_CONCURRENCY
from bot.delivery.tick import Ticker, run_tick
from bot.settings import Settings
from handlers.context import AppContext
from storage import Storage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class FakeOutbox:
    """Records what would reach each chat; `fail` decides per send whether to raise."""

    def __init__(self, fail: Callable[[str, int], DeliveryError | None] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.attempts = 0
        self.fail = fail

    def can_send(self, address: str) -> bool:
        return address.startswith(("telegram:", "zalo:"))

    def window(self, seconds: float) -> int:
        return SEND_CONCURRENCY  # no rate of its own: as many as are sent at once

    async def send(self, address: str, reply: Reply) -> None:
        self.attempts += 1
        await asyncio.sleep(0)
        if self.fail is not None and (error := self.fail(address, self.attempts)) is not None:
            raise error
        self.sent.append((address, reply.text))


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


async def seed(st: Storage, *dues: date) -> None:
    tasks = [
        ParsedTask(
            title=f"Báo cáo <số {i}>", lead="Sở Tư pháp", deadline=d.isoformat(), kind=Kind.ONCE, dates=[d]
        )
        for i, d in enumerate(dues, 1)
    ]
    await st.save_plan(
        ParsedPlan(tasks=tasks, number="1/KH", year=2022), {"Sở Tư pháp": [("Sở Tư pháp", None)]}
    )
    agency = (await st.agencies())[0].id
    await st.upsert_user("telegram:1", agency_id=agency, role="officer", approved=True)
    await st.upsert_user("zalo:z1", agency_id=agency, role="manager", approved=True)


def ctx_at(st: Storage, now: datetime, **settings: object) -> AppContext:
    """Calendar days unless told otherwise: these tests count days on a 2022 calendar."""
    values: dict[str, object] = {"nhacviec_quiet_hours": "21:00-07:00", "nhacviec_working_days": "off"}
    values.update(settings)
    return AppContext(storage=st, settings=Settings(**values), clock=lambda: now)


async def test_lead_times_sent_once_each(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    box = FakeOutbox()
    for day, expected in [
        (date(2022, 6, 22), 0),
        (date(2022, 6, 23), 2),
        (date(2022, 6, 27), 4),
        (date(2022, 6, 30), 8),
    ]:
        if day == date(2022, 6, 30):
            await run_tick(ctx_at(storage, at(date(2022, 6, 29))).delivery(), sender=box)
        await run_tick(ctx_at(storage, at(day)).delivery(), sender=box)
        await run_tick(ctx_at(storage, at(day, 9)).delivery(), sender=box)  # a later tick the same day sends nothing new
        assert len(box.sent) == expected, (day, box.sent)
    assert "Báo cáo &lt;số 1&gt;" in box.sent[0][1]
    assert {a for a, _ in box.sent} == {"telegram:1", "zalo:z1"}


async def test_quiet_hours_postpone(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    await storage.set_reminder_prefs("telegram:1", remind_at=time(22, 0))
    box = FakeOutbox()
    await run_tick(ctx_at(storage, at(date(2022, 6, 23), 22, 30)).delivery(), sender=box)
    assert [a for a, _ in box.sent] == ["zalo:z1"]  # the 08:00 one; the officer's 22:00 waits
    await run_tick(ctx_at(storage, at(date(2022, 6, 24), 7, 0)).delivery(), sender=box)
    assert [a for a, _ in box.sent] == ["zalo:z1", "telegram:1"]


async def test_done_occurrence_is_not_reminded_and_overdue_nagged_weekly(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30), date(2022, 7, 15))
    tasks = await storage.all_tasks()
    done = next(t for t in tasks if t.occurrences[0].due == date(2022, 7, 15)).occurrences[0]
    await storage.mark_done(done.id, by="telegram:1", at=at(date(2022, 7, 1)))
    box = FakeOutbox()
    await run_tick(ctx_at(storage, at(date(2022, 7, 7))).delivery(), sender=box)
    await run_tick(ctx_at(storage, at(date(2022, 7, 8))).delivery(), sender=box)
    await run_tick(ctx_at(storage, at(date(2022, 7, 14))).delivery(), sender=box)
    officer = [text for addr, text in box.sent if addr == "telegram:1"]
    assert len(officer) == 2 and all("số 1" in t and "trễ" in t for t in officer)


async def test_catch_up_after_downtime_is_one_message(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 24), date(2022, 6, 25), date(2022, 6, 26), date(2022, 6, 27))
    box = FakeOutbox()
    # The bot was down all week; it comes back in the afternoon.
    await run_tick(ctx_at(storage, at(date(2022, 6, 24), 15)).delivery(), sender=box)
    officer = [t for a, t in box.sent if a == "telegram:1"]
    assert len(officer) == 1
    assert all(f"số {i}" in officer[0] for i in range(1, 5))
    await run_tick(ctx_at(storage, at(date(2022, 6, 24), 16)).delivery(), sender=box)
    assert len([t for a, t in box.sent if a == "telegram:1"]) == 1


async def test_two_workers_never_send_twice(db_url: str) -> None:
    st1, st2 = await Storage.open(db_url), await Storage.open(db_url)
    try:
        await seed(st1, *(date(2022, 6, d) for d in range(20, 30)))
        box1, box2 = FakeOutbox(), FakeOutbox()
        now = at(date(2022, 6, 23))
        for _ in range(3):
            await asyncio.gather(
                run_tick(ctx_at(st1, now).delivery(), sender=box1), run_tick(ctx_at(st2, now).delivery(), sender=box2)
            )
        sent = box1.sent + box2.sent
        assert len(sent) == len(set(sent)) == 4  # 2 recipients, each one bundle or catch-up... once
        log = await st1.reminder_log()
        assert log and all(r["status"] == "delivered" for r in log)
    finally:
        await st1.close()
        await st2.close()


@pytest.mark.parametrize(
    "error,final",
    [
        (DeliveryError("Too Many Requests", retry_after=3), False),
        (DeliveryError("Bad Gateway"), False),
        (DeliveryError("network down"), False),
        (DeliveryError("Forbidden: bot was blocked by the user", blocked=True), True),
    ],
)
async def test_failed_sends_are_recorded_and_retried_or_dropped(
    storage: Storage, error: DeliveryError, final: bool
) -> None:
    await seed(storage, date(2022, 6, 30))
    failing = FakeOutbox(fail=lambda addr, n: error if addr == "telegram:1" else None)
    await run_tick(ctx_at(storage, at(date(2022, 6, 23))).delivery(), sender=failing)
    log = {r["recipient"]: r for r in await storage.reminder_log()}
    assert log["telegram:1"]["status"] == ("dead" if final else "failed")
    assert log["zalo:z1"]["status"] == "delivered"
    user = await storage.user("telegram:1")
    assert user.active is (not final)
    healthy = FakeOutbox()
    await run_tick(ctx_at(storage, at(date(2022, 6, 23), 8, 0) + timedelta(seconds=5)).delivery(), sender=healthy)
    assert healthy.sent == []  # not before the backoff (10 s, or the server's retry_after)
    await run_tick(ctx_at(storage, at(date(2022, 6, 23), 8, 1)).delivery(), sender=healthy)
    assert [a for a, _ in healthy.sent] == ([] if final else ["telegram:1"])


async def test_a_crash_mid_send_is_retried_after_the_timeout(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    now = at(date(2022, 6, 23))
    # A worker claimed the reminder and died before sending: the claim stays "claimed".
    ctx = ctx_at(storage, now)
    dry = await run_tick(ctx.delivery(), sender=None, dry_run=True)
    for message in dry.reminders:
        for key in message.keys:
            await storage.claim(
                key, recipient=message.to, occurrence_id=None, lead="d7", now=now, worker="dead"
            )
    box = FakeOutbox()
    # "dead" has no live lease: its claims are taken over at once, not after a timeout.
    ticker = Ticker(ctx_at(storage, at(date(2022, 6, 23), 8, 1)).delivery(), box)
    await ticker.tick()
    assert sorted(a for a, _ in box.sent) == ["telegram:1", "zalo:z1"]
    assert {r["attempts"] for r in await storage.reminder_log()} == {1}  # a crash is not an attempt


async def test_dry_run_claims_nothing(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    report = await run_tick(ctx_at(storage, at(date(2022, 6, 23))).delivery(), sender=None, dry_run=True)
    assert len(report.reminders) == 2 and report.claimed == 0
    assert await storage.reminder_log() == []
    assert report.reminders[0].to_json()["items"][0]["due"] == "2022-06-30"


async def test_digest_once_per_weekday(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 20), date(2022, 6, 30))
    box = FakeOutbox()
    monday = date(2022, 6, 27)
    assert await run_digests(ctx_at(storage, at(monday, 7, 0)).delivery(), sender=box) == 0  # before 07:30
    assert await run_digests(ctx_at(storage, at(monday, 7, 31)).delivery(), sender=box) == 1
    assert await run_digests(ctx_at(storage, at(monday, 9, 0)).delivery(), sender=box) == 0
    assert [a for a, _ in box.sent] == ["zalo:z1"]  # managers only
    assert "đang thực hiện quá hạn" in box.sent[0][1].lower()
    assert await run_digests(ctx_at(storage, at(date(2022, 7, 2), 8)).delivery(), sender=box) == 0  # Saturday


async def test_joint_leads_are_reminded_and_answered(storage: Storage) -> None:
    from handlers.ask import ask

    lead = "Sở Tư pháp, Sở Nội vụ"
    task = ParsedTask(title="Rà soát văn bản", lead=lead, kind=Kind.ONCE, dates=[date(2022, 6, 30)])
    await storage.save_plan(
        ParsedPlan(tasks=[task], number="2/KH", year=2022), {lead: [("Sở Tư pháp", None), ("Sở Nội vụ", None)]}
    )
    ids = {a.name: a.id for a in await storage.agencies()}
    await storage.upsert_user("telegram:1", agency_id=ids["Sở Tư pháp"], approved=True)
    await storage.upsert_user("telegram:2", agency_id=ids["Sở Nội vụ"], approved=True)
    box = FakeOutbox()
    ctx = ctx_at(storage, at(date(2022, 6, 23)))
    await run_tick(ctx.delivery(), sender=box)
    assert sorted(a for a, _ in box.sent) == ["telegram:1", "telegram:2"]
    result, _blocks = await ask(ctx, "Sở Nội vụ năm nay", asker_id=None, today=date(2022, 6, 1))
    assert [t["title"] for t in result["tasks"]] == ["Rà soát văn bản"]
