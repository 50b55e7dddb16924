"""Storage on SQLite and PostgreSQL: migrations, plans upsert, occurrences, users, claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from bot.core.domain import Kind, OccurrenceStatus, ParsedPlan, ParsedTask
from storage import Storage


def _plan(*tasks: ParsedTask, number: str | None = "444/KH-SCT") -> ParsedPlan:
    return ParsedPlan(tasks=list(tasks), issuer="Sở Công Thương", number=number, year=2022, source_hash="abc")


def _task(
    title: str, lead: str = "Văn phòng Sở", dates: tuple[date, ...] = (date(2022, 6, 30),)
) -> ParsedTask:
    return ParsedTask(title=title, lead=lead, deadline="Quý II/2022", kind=Kind.ONCE, dates=list(dates))


LEADS = {"Văn phòng Sở": [("Văn phòng Sở", "Sở Công Thương")], "Sở Nội vụ": [("Sở Nội vụ", None)]}


async def test_migrations_are_idempotent(db_url: str) -> None:
    st = await Storage.open(db_url)
    await st.db.migrate()
    assert await st.counts() == {"plans": 0, "tasks": 0, "occurrences": 0, "agencies": 0}
    await st.close()


async def test_reimport_updates_and_keeps_done_status(storage: Storage) -> None:
    quarterly = _task("Báo cáo quý", dates=(date(2022, 3, 31), date(2022, 6, 30)))
    first = await storage.save_plan(_plan(_task("Rà soát"), quarterly), LEADS)
    assert first.created and first.tasks_added == 2
    assert sorted(first.new_agencies) == ["Sở Công Thương", "Văn phòng Sở (Sở Công Thương)"]
    tasks = await storage.all_tasks()
    report = next(t for t in tasks if t.title == "Báo cáo quý")
    assert report.lead == "Văn phòng Sở (Sở Công Thương)"
    q1 = report.occurrences[0]
    assert await storage.mark_done(q1.id, by="telegram:1", at=datetime(2022, 3, 30, tzinfo=UTC))
    assert not await storage.mark_done(q1.id, by="telegram:1", at=datetime(2022, 3, 30, tzinfo=UTC))

    again = await storage.save_plan(_plan(_task("Rà soát"), quarterly, _task("Mới", lead="Sở Nội vụ")), LEADS)
    assert not again.created and again.tasks_added == 1 and again.tasks_updated == 2
    assert again.new_agencies == ["Sở Nội vụ"]
    counts = await storage.counts()
    assert counts["plans"] == 1 and counts["tasks"] == 3 and counts["occurrences"] == 4
    report = next(t for t in await storage.all_tasks() if t.title == "Báo cáo quý")
    assert [o.status for o in report.occurrences] == [OccurrenceStatus.DONE, OccurrenceStatus.OPEN]
    assert report.occurrences[0].done_at == date(2022, 3, 30)


async def test_dry_run_writes_nothing(storage: Storage) -> None:
    result = await storage.save_plan(_plan(_task("Rà soát")), LEADS, dry_run=True)
    assert result.tasks_added == 1 and result.plan_id is None
    assert (await storage.counts())["tasks"] == 0
    assert await storage.agencies() == []


async def test_tasks_for_agencies_includes_joint_leads(storage: Storage) -> None:
    leads = {"Văn phòng Sở, Sở Nội vụ": [("Văn phòng Sở", "Sở Công Thương"), ("Sở Nội vụ", None)]}
    await storage.save_plan(_plan(_task("Chung", lead="Văn phòng Sở, Sở Nội vụ")), leads)
    noi_vu = next(a for a in await storage.agencies() if a.name == "Sở Nội vụ")
    assert [t.title for t in await storage.tasks_for_agencies([noi_vu.id])] == ["Chung"]


async def test_users_roundtrip(storage: Storage) -> None:
    agency = await storage.add_agency("Sở Tư pháp")
    user = await storage.upsert_user("telegram:123", agency_id=agency, role="manager", approved=True)
    assert user.address == "telegram:123" and user.role == "manager" and user.approved
    await storage.upsert_user("zalo:abc", agency_id=agency)
    assert [u.address for u in await storage.users()] == ["telegram:123", "zalo:abc"]
    await storage.deactivate("telegram:123")
    assert not (await storage.user("telegram:123")).active
    assert await storage.remove_user("zalo:abc") and not await storage.remove_user("zalo:abc")


async def test_aliases_bump_directory_cache(storage: Storage) -> None:
    agency = await storage.add_agency("Sở Thông tin và Truyền thông")
    assert (await storage.agencies())[0].aliases == ()
    await storage.add_alias(agency, "Sở TTTT")
    assert (await storage.agencies())[0].aliases == ("Sở TTTT",)


async def test_claims_are_exclusive_and_stale_claims_retried(storage: Storage) -> None:
    now = datetime(2022, 6, 23, 1, 0, tzinfo=UTC)
    args = {"recipient": "telegram:1", "occurrence_id": 1, "lead": "d7", "worker": "a"}
    await storage.heartbeat("a", now=now, lease=timedelta(seconds=10))
    results = await asyncio.gather(*(storage.claim("k1", now=now, **args) for _ in range(8)))
    assert results.count(True) == 1
    # Its worker's lease is live: nobody may take it again.
    assert not await storage.claim("k1", now=now + timedelta(seconds=9), **args)
    # The worker died (its lease lapsed): exactly one worker takes it over.
    later = now + timedelta(seconds=11)
    await storage.heartbeat("b", now=later, lease=timedelta(seconds=10))
    args["worker"] = "b"
    retried = await asyncio.gather(*(storage.claim("k1", now=later, **args) for _ in range(4)))
    assert retried.count(True) == 1
    await storage.finish_claim("k1", ok=True, now=later)
    assert not await storage.claim("k1", now=later + timedelta(days=1), **args)
    assert (await storage.reminder_log())[0]["status"] == "delivered"
