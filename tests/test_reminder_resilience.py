"""The tick's guarantees with an injected clock (issue 15): leases, windows, retries until the
reminder stops mattering, unknown outcomes sent at most twice, re-check before sending."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.delivery.digests import run_digests
from bot.delivery.ports import DeliveryError
from bot.delivery.tick import run_tick
from storage import Storage
from tests.test_reminder_tick import TZ, FakeOutbox, at, ctx_at, seed

DAY = date(2022, 6, 23)  # d7 of a task due 30 June (calendar days)


class WindowedOutbox(FakeOutbox):
    def __init__(self, window: int = 1, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.size = window

    def window(self, seconds: float) -> int:
        return self.size


async def statuses(st: Storage) -> dict[str, str]:
    return {str(r["recipient"]): str(r["status"]) for r in await st.reminder_log()}


async def test_work_done_after_the_claim_is_not_sent(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    occurrence = (await storage.all_tasks())[0].occurrences[0].id
    claim_many = storage.claim_many

    async def claim_then_done(*args, **kw):  # type: ignore[no-untyped-def]
        won = await claim_many(*args, **kw)
        await storage.mark_done(occurrence, by="telegram:1", at=at(DAY))  # "Đã ghi nhận hoàn thành"
        return won

    storage.claim_many = claim_then_done  # type: ignore[method-assign]
    box = FakeOutbox()
    report = await run_tick(ctx_at(storage, at(DAY)).delivery(), sender=box)
    assert report.claimed == 2 and box.sent == []
    assert await storage.reminder_log() == []  # dropped: reopening the work reminds again


async def test_a_plan_archived_after_the_claim_sends_nothing(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    plan_id = (await storage.all_tasks())[0].plan_id
    claim_many = storage.claim_many

    async def claim_then_archive(*args, **kw):  # type: ignore[no-untyped-def]
        won = await claim_many(*args, **kw)
        await storage.set_plan_archived(plan_id, archived=True, by="telegram:1", at=at(DAY))
        return won

    storage.claim_many = claim_then_archive  # type: ignore[method-assign]
    box = FakeOutbox()
    report = await run_tick(ctx_at(storage, at(DAY)).delivery(), sender=box)
    assert report.claimed == 2 and box.sent == []


async def test_removed_or_muted_recipients_get_nothing(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    task_id = (await storage.all_tasks())[0].id
    claim_many = storage.claim_many

    async def claim_then_change(*args, **kw):  # type: ignore[no-untyped-def]
        won = await claim_many(*args, **kw)
        await storage.remove_user("telegram:1")
        await storage.set_reminder_prefs("zalo:z1", muted=[task_id])
        return won

    storage.claim_many = claim_then_change  # type: ignore[method-assign]
    box = FakeOutbox()
    await run_tick(ctx_at(storage, at(DAY)).delivery(), sender=box)
    assert box.sent == []


async def test_transient_failures_are_retried_past_any_fixed_count(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    failures = {"n": 0}

    def fail(address: str, n: int) -> DeliveryError | None:
        if address == "telegram:1" and failures["n"] < 9:
            failures["n"] += 1
            return DeliveryError("Bad Gateway")
        return None

    box = FakeOutbox(fail=fail)
    moment = at(DAY)
    for _ in range(12):  # an outage: one tick every 6 minutes (longer than the 300 s cap)
        await run_tick(ctx_at(storage, moment).delivery(), sender=box)
        moment += timedelta(minutes=6)
    assert [a for a, _ in box.sent].count("telegram:1") == 1
    log = {r["recipient"]: r for r in await storage.reminder_log()}
    assert log["telegram:1"]["status"] == "delivered" and log["telegram:1"]["attempts"] == 10


async def test_retries_wait_for_the_backoff(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    box = FakeOutbox(fail=lambda a, n: DeliveryError("down") if a == "telegram:1" else None)
    start = at(DAY)
    for seconds in range(0, 60):  # a tick every second: tries at 0, 10 (+10 s), 30 (+20 s); next at 70
        await run_tick(ctx_at(storage, start + timedelta(seconds=seconds)).delivery(), sender=box)
    tries = box.attempts - 1  # zalo:z1 once
    assert tries == 3, tries


async def test_a_failed_reminder_is_not_sent_once_its_day_is_over(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    down = FakeOutbox(fail=lambda a, n: DeliveryError("down") if a == "telegram:1" else None)
    await run_tick(ctx_at(storage, at(DAY)).delivery(), sender=down)
    box = FakeOutbox()
    await run_tick(ctx_at(storage, at(DAY + timedelta(days=1), 8, 30)).delivery(), sender=box)
    assert box.sent == []
    assert (await statuses(storage))["telegram:1"] == "expired"


async def test_an_unknown_outcome_is_sent_at_most_twice(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    box = FakeOutbox(
        fail=lambda a, n: DeliveryError("timed out", unknown=True) if a == "telegram:1" else None
    )
    moment = at(DAY)
    tries_at: list[datetime] = []
    for _ in range(40):
        before = box.attempts
        await run_tick(ctx_at(storage, moment).delivery(), sender=box)
        if box.attempts > before:
            tries_at.append(moment)
        moment += timedelta(seconds=30)
    officer_tries = box.attempts - 1
    assert officer_tries == 2
    assert tries_at[-1] - tries_at[0] >= timedelta(seconds=300)  # never at once: a full step later
    log = {r["recipient"]: r for r in await storage.reminder_log()}
    assert log["telegram:1"]["status"] == "unknown" and log["telegram:1"]["doubts"] == 2


async def test_claims_of_a_live_worker_are_never_taken(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    now = at(DAY)
    owner = ctx_at(storage, now).delivery().lease("owner", seconds=10)
    await owner.beat()
    dry = await run_tick(ctx_at(storage, now).delivery(), sender=None, dry_run=True)
    for message in dry.reminders:
        for key in message.keys:
            await storage.claim(
                key, recipient=message.to, occurrence_id=None, lead="d7", now=now, worker="owner"
            )
    box = FakeOutbox()
    for seconds in (1, 5, 9):  # the owner keeps renewing: nobody else sends
        owner.clock = ctx_at(storage, now + timedelta(seconds=seconds)).now
        await owner.beat()
        await run_tick(ctx_at(storage, now + timedelta(seconds=seconds)).delivery(), sender=box)
    assert box.sent == []
    # The owner dies: its lease lapses 10 s after the last renewal and the claims are taken over.
    await run_tick(ctx_at(storage, now + timedelta(seconds=18)).delivery(), sender=box)
    assert box.sent == []
    await run_tick(ctx_at(storage, now + timedelta(seconds=20)).delivery(), sender=box)
    assert sorted(a for a, _ in box.sent) == ["telegram:1", "zalo:z1"]
    assert {r["attempts"] for r in await storage.reminder_log()} == {1}


async def test_claims_are_taken_one_window_at_a_time_and_a_stop_claims_no_more(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    agency = (await storage.agencies())[0].id
    for i in range(2, 8):
        await storage.upsert_user(f"telegram:{i}", agency_id=agency, approved=True)
    stopping = asyncio.Event()

    def stop_after_first(address: str, n: int) -> None:
        stopping.set()  # SIGTERM arrives during the first send
        return None

    box = WindowedOutbox(window=2, fail=stop_after_first)
    await run_tick(ctx_at(storage, at(DAY)).delivery(), sender=box, stopping=stopping)
    log = await storage.reminder_log()
    # The window in flight finishes and is recorded; nothing beyond it was ever claimed.
    assert len(box.sent) == 2
    assert [r["status"] for r in log] == ["delivered", "delivered"]
    box2 = FakeOutbox()
    await run_tick(ctx_at(storage, at(DAY, 8, 1)).delivery(), sender=box2)
    assert len(box2.sent) == 6


async def test_no_digest_on_a_public_holiday(storage: Storage) -> None:
    await seed(storage, date(2027, 2, 26))
    box = FakeOutbox()
    tet_monday = date(2027, 2, 8)
    assert await run_digests(ctx_at(storage, at(tet_monday, 8), nhacviec_working_days="on").delivery(), sender=box) == 0
    assert await run_digests(ctx_at(storage, at(tet_monday, 8), nhacviec_working_days="off").delivery(), sender=box) == 1


async def test_a_one_off_tick_keeps_its_lease_while_it_sends(storage: Storage) -> None:
    """`nhacviec remind` has no long-running heartbeat: the tick renews its own lease, so a batch
    longer than the lease still goes out whole (real clock, lease 0.4 s, 5 sends of 0.2 s)."""
    from datetime import UTC

    from bot.core.replies import Reply
    from bot.settings import Settings
    from handlers.context import AppContext

    today = datetime.now(UTC).astimezone(TZ).date()
    await seed(storage, today + timedelta(days=3))
    agency = (await storage.agencies())[0].id
    for i in range(2, 5):
        await storage.upsert_user(f"telegram:{i}", agency_id=agency, approved=True)
    one_at_a_time = asyncio.Lock()

    class SlowOutbox(WindowedOutbox):  # one message per window: the lease is checked before each
        async def send(self, address: str, reply: Reply) -> None:
            async with one_at_a_time:
                await asyncio.sleep(0.2)
                await super().send(address, reply)

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        nhacviec_lease_seconds=0.4,
        nhacviec_working_days="off",
        nhacviec_quiet_hours="",
        nhacviec_remind_at="00:00",
    )
    box = SlowOutbox()
    await run_tick(AppContext(storage=storage, settings=settings).delivery(), sender=box)
    assert len(box.sent) == 5
