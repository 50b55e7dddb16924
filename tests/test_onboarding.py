"""Onboarding: /id, invite links through the Telegram stand-in, command menus per role and language,
and a group upgraded to a supergroup that keeps its link and its reminders."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.channels.telegram import TelegramChannel
from bot.core.domain import Kind, ParsedPlan, ParsedTask, Role
from bot.delivery.ports import Outbox
from bot.delivery.tick import run_tick
from bot.settings import Settings
from handlers.context import AppContext
from handlers.onboarding import parse_invite_args
from handlers.router import Router
from storage import Storage
from tests.chat import Chat
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123:ABC"  # the e2e tests' token: one process redacts one token in its logs
ADMIN = 1
NOW = datetime(2030, 3, 6, 2, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Hà Nội
LINK = re.compile(r"https://t\.me/nhacviec_test_bot\?start=([\w-]+)")


@dataclass
class Bot:
    api: FakeTelegramAPI
    channel: TelegramChannel
    ctx: AppContext
    router: Router

    async def says(self, user_id: int, text: str, expect: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        since = len(self.api.sent)
        self.api.add_user_message(user_id, text, **kw)  # type: ignore[arg-type]
        return await self.api.wait_for_message(kw.get("chat_id", user_id), expect, since=since)  # type: ignore[arg-type]


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    async with FakeTelegramAPI(token=TOKEN) as api:
        storage = await Storage.open(sqlite_url)
        await storage.add_agency("Sở Tư pháp")
        manager = await storage.upsert_user("telegram:7", role="manager", approved=True, active=True)
        assert manager.role == "manager"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.base_url,
            nhacviec_admins=f"telegram:{ADMIN}",
            nhacviec_quiet_hours="",
        )
        ctx = AppContext(storage=storage, settings=settings, clock=lambda: NOW)
        outbox = Outbox()
        router = Router(ctx, outbox=outbox)
        channel = TelegramChannel(settings, router)
        outbox.add(channel)
        await channel.start()
        try:
            yield Bot(api, channel, ctx, router)
        finally:
            await channel.stop()
            await storage.close()


# -- /id ----------------------------------------------------------------------------------------


async def test_id_tells_anyone_their_account_id(chat: Chat) -> None:
    (reply,) = await chat.say("/id", account="telegram:98765")  # not a member, not even known
    assert "telegram:98765" in reply and "NHACVIEC_ADMINS" in reply
    group = await chat.say("/id", account="telegram:98765", chat_type="group")
    assert "Mã nhóm này" in group[0]
    assert await chat.ctx.storage.user("telegram:98765") is None  # asking writes nothing


async def test_id_through_telegram(bot: Bot) -> None:
    answer = await bot.says(4242, "/id", "telegram:4242")
    assert "<code>telegram:4242</code>" in str(answer.params.get("text"))


# -- invites ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("Sở Tư pháp officer", ("Sở Tư pháp", Role.OFFICER, False)),
        ("Sở Tư pháp manager duyet", ("Sở Tư pháp", Role.MANAGER, True)),
        ("Văn phòng UBND tỉnh", ("Văn phòng UBND tỉnh", Role.OFFICER, False)),
        ("Sở Nội vụ duyệt admin", ("Sở Nội vụ", Role.ADMIN, True)),
    ],
)
def test_invite_arguments(args: str, expected: tuple[str, Role, bool]) -> None:
    assert parse_invite_args(args) == expected


async def test_invite_link_files_a_join_request_with_the_agency_filled_in(bot: Bot) -> None:
    made = await bot.says(ADMIN, "/moi Sở Tư pháp officer", "t.me/")
    match = LINK.search(made.text or "")
    assert match, made.text
    code = match.group(1)
    assert len(f"/start {code}") <= 64 + 7

    since = len(bot.api.sent)
    bot.api.add_user_message(5, f"/start {code}")  # what Telegram sends when the link is opened
    await bot.api.wait_for_message(5, "chờ quản trị viên duyệt", since=since)
    request = await bot.api.wait_for_message(ADMIN, "Yêu cầu tham gia", since=since)
    assert "Sở Tư pháp" in (request.text or "") and "cán bộ" in (request.text or "")
    user = await bot.ctx.storage.user("telegram:5")
    assert user is not None and not user.approved and user.agency_id is not None

    since = len(bot.api.sent)
    data = next(d for d in request.callback_data if d.startswith("ap:"))
    bot.api.press_button(ADMIN, request, data)
    await bot.api.wait_for_message(5, "đã được duyệt", since=since)
    user = await bot.ctx.storage.user("telegram:5")
    assert user is not None and user.approved and user.role == "officer"
    assert (await bot.ctx.storage.invite(code)).uses == 1  # type: ignore[union-attr]


async def test_an_invite_approved_in_advance_lets_the_account_in_at_once(bot: Bot) -> None:
    made = await bot.says(ADMIN, "/moi Sở Tư pháp manager duyet", "t.me/")
    code = LINK.search(made.text or "").group(1)  # type: ignore[union-attr]
    since = len(bot.api.sent)
    bot.api.add_user_message(6, f"/start {code}")
    await bot.api.wait_for_message(6, "Chào mừng", since=since)
    await bot.api.wait_for_message(ADMIN, "đã tham gia", since=since)
    user = await bot.ctx.storage.user("telegram:6")
    assert user is not None and user.approved and user.role == "manager"
    # The new manager's own menu is published at once (no restart).
    menu = await bot.api.wait_for(lambda: bot.api.commands({"type": "chat", "chat_id": 6}), timeout=5)
    assert "baocao" in {c["command"] for c in menu} and "moi" not in {c["command"] for c in menu}
    assert "Sở Tư pháp" in ((await bot.says(6, "/viec")).text or "")


async def test_invites_are_for_admins_and_bad_codes_fall_back_to_the_usual_start(chat: Chat) -> None:
    agency = await chat.ctx.storage.add_agency("Sở Tư pháp")
    await chat.ctx.storage.upsert_user("telegram:50", agency_id=agency, role="officer", approved=True)
    assert "Chỉ quản trị viên" in (await chat.say("/moi Sở Tư pháp", account="telegram:50"))[0]
    assert "Không tìm thấy cơ quan" in (await chat.say("/moi Sở Không Có"))[0]
    made = await chat.say("/moi Sở Tư pháp")
    assert "/start " in made[0]  # no bot username known (not Telegram): the code to type
    start = await chat.say("/start khong-phai-ma", account="telegram:51")
    assert "gõ tên cơ quan" in " ".join(start)


async def test_an_expired_invite_is_refused(chat: Chat) -> None:
    agency = await chat.ctx.storage.add_agency("Sở Tư pháp")
    invite = await chat.ctx.storage.create_invite(
        agency, "officer", auto_approve=True, by="telegram:1", now=chat.ctx.now() - timedelta(days=31)
    )
    assert "hết hạn" in (await chat.say(f"/start {invite.code}", account="telegram:52"))[0]
    user = await chat.ctx.storage.user("telegram:52")
    assert user is None or not user.approved


# -- command menus ------------------------------------------------------------------------------


async def test_command_menu_per_role_and_language(bot: Bot) -> None:
    everyone = {c["command"] for c in bot.api.commands()}
    assert {"viec", "quahan", "xong", "id", "help"} <= everyone
    assert not everyone & {"import", "moi", "baocao", "lienket"}
    english = {c["command"]: c["description"] for c in bot.api.commands(language_code="en")}
    assert set(english) == everyone and english["viec"] != "Việc của tôi"

    admin = {c["command"] for c in bot.api.commands({"type": "chat", "chat_id": ADMIN})}
    assert {"import", "moi", "baocao", "lienket", "viec"} <= admin
    admin_en = bot.api.commands({"type": "chat", "chat_id": ADMIN}, language_code="en")
    assert {c["command"] for c in admin_en} == admin
    manager = {c["command"] for c in bot.api.commands({"type": "chat", "chat_id": 7})}
    assert {"baocao", "lienket"} <= manager and not manager & {"import", "moi"}


# -- groups that become supergroups -------------------------------------------------------------


async def _seed_due_today(bot: Bot) -> None:
    directory = await bot.ctx.directory()
    agency = directory.resolve("Sở Tư pháp").agency_id
    assert agency is not None
    today = date(2030, 3, 6)
    task = ParsedTask(title="Báo cáo kết quả rà soát", lead="Sở Tư pháp", deadline="", kind=Kind.ONCE, dates=[today])
    await bot.ctx.storage.save_plan(ParsedPlan(tasks=[task], number="9/KH", year=2030), {"Sở Tư pháp": [("Sở Tư pháp", None)]})


@pytest.mark.parametrize("announced", [True, False], ids=["service-message", "missed-update"])
async def test_a_group_upgraded_to_a_supergroup_keeps_its_link_and_reminders(bot: Bot, announced: bool) -> None:
    old, new = -4242, -1004242
    await bot.says(ADMIN, "/lienket Sở Tư pháp", "Đã liên kết", chat_id=old, chat_type="group")
    await _seed_due_today(bot)

    bot.api.migrate_group(old, new, by_user=ADMIN, announce=announced)
    if announced:
        await _wait_link(bot, str(new))  # the service messages moved the link before any send
    since = len(bot.api.sent)
    result = await run_tick(bot.ctx.delivery(), sender=bot.router.outbox)
    assert result is not None
    reminder = await bot.api.wait_for_message(new, "Báo cáo kết quả rà soát", since=since)
    assert reminder.chat_id == new
    links = await bot.ctx.storage.chat_links()
    assert [(link.channel, link.chat_id) for link in links] == [("telegram", str(new))]

    # The next tick does not remind the moved group again of what it already got.
    since = len(bot.api.sent)
    await run_tick(bot.ctx.delivery(), sender=bot.router.outbox)
    assert [c for c in bot.api.sent[since:] if c.method == "sendMessage"] == []

    answer = await bot.says(ADMIN, "/viec@nhacviec_test_bot Sở Tư pháp", chat_id=new, chat_type="supergroup")
    assert "Báo cáo kết quả rà soát" in (answer.text or "")


async def _wait_link(bot: Bot, chat_id: str) -> None:
    async def linked() -> bool:
        return any(link.chat_id == chat_id for link in await bot.ctx.storage.chat_links())

    for _ in range(250):
        if await linked():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the link never moved to {chat_id}")
