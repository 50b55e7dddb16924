"""Digest rhythm (issue 17): /nhacnho lets a manager choose daily, weekly (Monday) or off."""

from __future__ import annotations

from datetime import date, time

from bot.core.domain import Role
from bot.delivery.digests import run_digests
from storage import Storage
from tests.chat import Chat
from tests.test_conversations import SAMPLE
from tests.test_reminder_tick import FakeOutbox, at, ctx_at, seed


async def test_weekly_digest_goes_out_on_monday_only_and_off_never(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 20), date(2022, 6, 30))
    tuesday = date(2022, 6, 28)
    box = FakeOutbox()
    assert await run_digests(ctx_at(storage, at(tuesday, 7, 31)).delivery(), sender=box) == 1  # daily by default
    await storage.set_digest_rhythm("zalo:z1", "weekly")
    assert (await storage.user("zalo:z1")).digest == "weekly"
    assert await run_digests(ctx_at(storage, at(date(2022, 6, 29), 7, 31)).delivery(), sender=box) == 0
    assert await run_digests(ctx_at(storage, at(date(2022, 7, 4), 7, 31)).delivery(), sender=box) == 1
    await storage.set_digest_rhythm("zalo:z1", "off")
    assert await run_digests(ctx_at(storage, at(date(2022, 7, 11), 7, 31)).delivery(), sender=box) == 0
    assert len(box.sent) == 2


async def test_nhacnho_shows_and_changes_the_rhythm_for_managers(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    await chat.ctx.storage.upsert_user("telegram:8", agency_id=agency, role="manager", approved=True, active=True)
    await chat.ctx.storage.upsert_user("telegram:5", agency_id=agency, role="officer", approved=True, active=True)
    shown = " ".join(await chat.say("/nhacnho", account="telegram:8"))
    assert "Báo cáo tổng hợp: hằng ngày" in shown
    changed = " ".join(await chat.press("hằng tuần", account="telegram:8"))
    assert "Báo cáo tổng hợp: hằng tuần (thứ Hai)" in changed
    assert (await chat.ctx.storage.user("telegram:8")).digest == "weekly"
    typed = " ".join(await chat.say("/nhacnho baocao tat", account="telegram:8"))
    assert "Báo cáo tổng hợp: tắt" in typed
    assert (await chat.ctx.storage.user("telegram:8")).digest == "off"
    officer = " ".join(await chat.say("/nhacnho", account="telegram:5"))
    assert "Báo cáo tổng hợp:" not in officer
    refused = " ".join(await chat.say("/nhacnho baocao hangtuan", account="telegram:5"))
    assert "lãnh đạo" in refused


async def test_nhacnho_days_and_hour_are_stored_as_typed_and_shown_as_typed(chat: Chat) -> None:
    """Storage keeps "7,3,1" and "08:30" as before, hands them back parsed (issue 22), and /nhacnho
    shows them as the user typed them; an hour or days the user never set are the deployment's."""
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    await chat.ctx.storage.upsert_user("telegram:5", agency_id=agency, role=Role.OFFICER, approved=True, active=True)
    assert "Nhắc trước: 7,3,1,0 ngày, lúc 08:00." in " ".join(await chat.say("/nhacnho", account="telegram:5"))
    assert "Nhắc trước: 7,3,1 ngày" in " ".join(await chat.say("/nhacnho 1,7,3", account="telegram:5"))
    assert "lúc 08:30." in " ".join(await chat.say("/nhacnho 8:30", account="telegram:5"))
    user = await chat.ctx.storage.user("telegram:5")
    assert user is not None and user.role is Role.OFFICER
    assert (user.remind_days, user.remind_at) == ((7, 3, 1), time(8, 30))
    assert "Nhắc trước: 7,3,1,0 ngày, lúc 08:00." in " ".join(await chat.say("/nhacnho macdinh", account="telegram:5"))
    user = await chat.ctx.storage.user("telegram:5")
    assert user is not None and (user.remind_days, user.remind_at) == (None, None)
