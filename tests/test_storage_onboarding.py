"""Storage of onboarding on both databases: invites, a chat that moves (with its claims), the sample plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.demo import DEMO_FILE, DEMO_PLAN
from bot.core.domain import Kind, ParsedPlan, ParsedTask
from storage import Storage

NOW = datetime(2030, 3, 6, 2, 0, tzinfo=UTC)


async def test_invites(storage: Storage) -> None:
    agency = await storage.add_agency("Sở Tư pháp")
    made = await storage.create_invite(agency, "manager", auto_approve=True, by="telegram:1", now=NOW)
    assert len(made.code) <= 64 and made.expires_at == NOW + timedelta(days=30)
    await storage.count_invite_use(made.code)
    found = await storage.invite(made.code)
    assert found is not None and found.uses == 1 and found.role == "manager" and found.auto_approve
    assert found.expires_at == made.expires_at
    assert await storage.invite("nope") is None


async def test_a_moved_chat_keeps_its_link_and_its_claims(storage: Storage) -> None:
    agency = await storage.add_agency("Sở Tư pháp")
    await storage.link_chat("telegram:-5", agency, by="telegram:1")
    won = await storage.claim_many([("7:telegram:-5:d0", "telegram:-5", None, "d0")], now=NOW, worker="w")
    assert won == {"7:telegram:-5:d0"}
    assert await storage.move_chat("telegram:-5", "telegram:-1005")
    assert [(link.chat_id, link.agency_id) for link in await storage.chat_links()] == [("-1005", agency)]
    assert await storage.claimed_keys(["7:telegram:-1005:d0"]) == {"7:telegram:-1005:d0"}
    assert not await storage.move_chat("telegram:-5", "telegram:-1005")  # the second service message


async def test_the_sample_plan_can_be_removed(storage: Storage) -> None:
    task = ParsedTask(title="Việc mẫu", lead="Sở Tư pháp", deadline="", kind=Kind.ONCE, dates=[date(2030, 3, 9)])
    plan = ParsedPlan(tasks=[task], number=DEMO_PLAN, year=2030, source_file=DEMO_FILE)
    await storage.save_plan(plan, {"Sở Tư pháp": [("Sở Tư pháp", None)]})
    assert await storage.sample_plans(DEMO_PLAN, DEMO_FILE) == 1
    before = (await storage.revisions()).get("tasks_rev", 0)
    assert await storage.remove_sample_plans(DEMO_PLAN, DEMO_FILE) == 1
    assert await storage.all_tasks() == []
    assert (await storage.revisions())["tasks_rev"] > before
    assert await storage.remove_sample_plans(DEMO_PLAN, DEMO_FILE) == 0
