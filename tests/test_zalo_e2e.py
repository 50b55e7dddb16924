"""The Zalo channel end to end: real router and SQLite file, the stand-in Zalo Bot API on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from bot.app import Worker
from bot.channels.zalo import TEXT_LIMIT, RateLimiter, ZaloChannel, render_parts
from bot.core.importing.options import ImportOptions
from bot.core.replies import Button, Reply
from bot.delivery.ports import DeliveryError
from bot.settings import Settings
from handlers.context import AppContext, system_clock
from handlers.importing import parse_file, save_parsed
from handlers.router import Router
from storage import Storage
from tests.conftest import EXAMPLES
from tests.fakes.zalo_api import SECRET_HEADER, FakeZaloAPI

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"
NOW = datetime(2022, 5, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
ADMIN = "admin1"
USER = "u1"
POLL = 0.5  # seconds of each long poll in these tests
def fast() -> RateLimiter:
    """No throttling to speak of (a new limiter per test: aiolimiter binds to one event loop)."""
    return RateLimiter(overall=1000.0, overall_burst=1000, per_chat=1000.0, chat_burst=1000)


@dataclass
class Bot:
    api: FakeZaloAPI
    ctx: AppContext
    router: Router
    channel: ZaloChannel


def settings(api: FakeZaloAPI, **extra: str) -> Settings:
    values = {"nhacviec_admins": f"zalo:{ADMIN}", **extra}
    return Settings(zalo_bot_token=api.token, zalo_api_base_url=api.base_url, **values)  # type: ignore[arg-type]


async def open_context(url: str, api: FakeZaloAPI, **extra: str) -> AppContext:
    ctx = AppContext(storage=await Storage.open(url), settings=settings(api, **extra), clock=lambda: NOW)
    parsed = await parse_file(ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))
    return ctx


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    async with FakeZaloAPI() as api:
        ctx = await open_context(sqlite_url, api)
        router = Router(ctx)
        channel = ZaloChannel(ctx.settings, router, poll_timeout=POLL, rate_limiter=fast())
        await channel.start()
        try:
            yield Bot(api, ctx, router, channel)
        finally:
            await channel.stop()
            await ctx.storage.close()


async def say(api: FakeZaloAPI, user: str, text: str, contains: str | None = None, **options: str) -> str:
    """The user types `text`; returns the first answer to that chat (containing `contains`)."""
    since = len(api.sent)
    api.add_user_message(user, text, **options)
    chat = options.get("chat_id", user)
    return str((await api.wait_for_message(chat, contains, since=since)).params["text"])


async def test_join_approval_question_answer(bot: Bot) -> None:
    api = bot.api
    hello = await say(api, USER, "xin chào", display_name="Nguyễn Văn A")
    assert "tên cơ quan" in hello
    choice = await say(api, USER, "Sở Tài nguyên và Môi trường", "1.")
    assert "1. Sở Tài nguyên và Môi trường" in choice and "<" not in choice
    assert "(Trả lời bằng một số từ 1 đến" in choice
    since = len(api.sent)
    sent = await say(api, USER, "1", "chờ quản trị viên")
    assert "Sở Tài nguyên và Môi trường" in sent
    request = await api.wait_for_message(ADMIN, "Yêu cầu tham gia", since=since)
    text = str(request.params["text"])
    assert "Nguyễn Văn A" in text and "zalo:u1" in text and "1. Duyệt\n2. Từ chối" in text

    since = len(api.sent)
    done = await say(api, ADMIN, "1", "Đã duyệt")
    assert "zalo:u1" in done
    await api.wait_for_message(USER, "đã được duyệt", since=since)
    user = await bot.ctx.storage.user("zalo:u1")
    assert user is not None and user.approved and user.active

    answer = await say(api, USER, "Sở Tài nguyên và Môi trường có việc gì?")
    assert "Số hóa hồ sơ đăng ký đất đai" in answer
    assert "<b>" not in answer and "&amp;" not in answer


async def test_numbered_choice_confirmation_and_stale_number(bot: Bot) -> None:
    api = bot.api
    await say(api, USER, "/start")
    menu = await say(api, USER, "Sở Tài nguyên", "Không phải, gõ lại")
    lines = menu.splitlines()
    retype = next(line for line in lines if "Không phải, gõ lại" in line)
    number = retype.split(".")[0]
    again = await say(api, USER, number)
    assert "Hãy gõ tên cơ quan" in again
    # Numbers mean a choice only while the buttons are shown: "7" is just text.
    assert "1." not in await say(api, USER, "7")


async def test_import_says_files_are_not_received_on_zalo(bot: Bot) -> None:
    answer = await say(bot.api, ADMIN, "/import")
    assert "Zalo chưa nhận tệp qua bot" in answer
    refused = await say(bot.api, USER, "/import")
    assert "Chỉ quản trị viên" in refused


async def test_non_text_messages_get_a_polite_reply_private_only(bot: Bot) -> None:
    api = bot.api
    since = len(api.sent)
    api.add_sticker(USER)
    sticker = await api.wait_for_message(USER, since=since)
    assert "chỉ đọc tin nhắn chữ" in str(sticker.params["text"])
    since = len(api.sent)
    api.add_unsupported(USER)
    file_reply = await api.wait_for_message(USER, since=since)
    assert "nhacviec import" in str(file_reply.params["text"])
    # In a group a sticker is ignored; the next text with a mention is answered.
    api.add_sticker(USER, chat_id="g1", chat_type="GROUP")
    since = len(api.sent)
    api.add_user_message(USER, "@bot.NhacViec /help", chat_id="g1", chat_type="GROUP")
    answer = await api.wait_for_message("g1", since=since)
    assert "Nhắc Việc — các lệnh" in str(answer.params["text"])
    assert [c for c in api.sent[since:] if c.method == "sendMessage"] == [answer]


async def test_group_mention_and_command_for_this_bot(bot: Bot) -> None:
    api = bot.api
    options = {"chat_id": "g2", "chat_type": "GROUP"}
    since = len(api.sent)
    api.add_user_message(USER, "việc gì quá hạn", **options)  # not for the bot
    api.add_user_message(USER, "/help@bot.NhacViec", **options)
    answer = await api.wait_for_message("g2", since=since)
    assert "Nhắc Việc — các lệnh" in str(answer.params["text"])
    assert len([c for c in api.sent[since:] if c.method == "sendMessage"]) == 1
    assert bot.channel.strip_mention("@Bot.NhacViec  việc quá hạn") == ("việc quá hạn", True)
    assert bot.channel.strip_mention("email a@bot.NhacViecX") == ("email a@bot.NhacViecX", False)


async def test_long_answer_split_under_the_limit(bot: Bot) -> None:
    blocks = [f"<b>Việc {i}</b> — {'nội dung &amp; kết quả ' * 12}" for i in range(60)]
    reply = Reply(blocks, buttons=[[Button("Xác nhận", "x:1"), Button("Huỷ", "x:2")]])
    await bot.channel.send(USER, reply)
    texts = bot.api.messages_to(USER)
    assert len(texts) >= 3 and all(len(t) <= TEXT_LIMIT for t in texts)
    assert "Việc 0" in texts[0] and "Việc 59" in texts[-1]
    assert texts[-1].endswith("1. Xác nhận\n2. Huỷ\n(Trả lời bằng một số từ 1 đến 2 để chọn)")
    assert all("<b>" not in t and "&amp;" not in t and "& kết quả" in t for t in texts)
    # Every block arrives whole and in order.
    joined = "\n".join(texts)
    assert [joined.index(f"Việc {i} —") for i in range(60)] == sorted(
        joined.index(f"Việc {i} —") for i in range(60)
    )


def test_render_parts_single_button_and_huge_block() -> None:
    parts = render_parts(Reply(["x" * 4500], buttons=[[Button("Duyệt", "ap:1")]]))
    assert all(len(p) <= TEXT_LIMIT for p in parts)
    assert parts[-1].endswith("1. Duyệt\n(Trả lời 1 để chọn)")


async def test_photo_goes_out_as_text_with_a_note(bot: Bot) -> None:
    await bot.channel.send(USER, Reply(["Biểu đồ tình hình thực hiện — Sở A"], photo=b"\x89PNG..."))
    (text,) = bot.api.messages_to(USER)
    assert text.startswith("Biểu đồ tình hình thực hiện — Sở A") and "biểu đồ không gửi được" in text
    assert not bot.api.calls("sendPhoto")


async def test_blocked_user_is_marked_inactive(bot: Bot) -> None:
    storage = bot.ctx.storage
    agency = (await storage.agencies())[0].id
    await storage.upsert_user("zalo:u9", agency_id=agency, approved=True, active=True)
    bot.api.fail_next("sendMessage", 403, description="User has blocked the bot")
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send("u9", Reply(["Nhắc việc"]))
    assert raised.value.blocked
    user = await storage.user("zalo:u9")
    assert user is not None and not user.active
    # Writing to the bot again brings an approved account back.
    await say(bot.api, "u9", "/help")
    user = await storage.user("zalo:u9")
    assert user is not None and user.active


async def test_delivery_errors_rate_limit_gone_chat_and_network(bot: Bot) -> None:
    api = bot.api
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send(USER, Reply(["a"]))
    assert raised.value.retry_after == 7 and not raised.value.blocked
    api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send("gone", Reply(["a"]))
    assert raised.value.blocked
    api.fail_next("sendMessage", 400, description="Bad Request: text must be a string")
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send(USER, Reply(["a"]))
    assert not raised.value.blocked and raised.value.retry_after is None
    # Two quick retries on 5xx (the server said it failed), then success…
    api.fail_next("sendMessage", 502, times=2)
    await bot.channel.send(USER, Reply(["sau hai lần lỗi"]))
    assert api.messages_to(USER)[-1] == "sau hai lần lỗi"
    # …but not a third.
    api.fail_next("sendMessage", 500, times=3)
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send(USER, Reply(["a"]))
    assert not raised.value.blocked and not raised.value.unknown and "500" in str(raised.value)
    # A connection cut after the request left may have delivered it: never retried inside a send.
    api.drop_next("sendMessage", times=3)
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.send(USER, Reply(["b"]))
    assert raised.value.unknown and not raised.value.blocked


async def test_get_updates_errors_back_off_without_a_busy_loop(bot: Bot) -> None:
    api = bot.api
    await say(api, USER, "/help")  # polling works
    before = api.get_updates_calls
    api.fail_next("getUpdates", 500, times=2)
    await api.wait_for(lambda: [c for c in api.calls("getUpdates") if c.error_code == 500] or None)
    api.add_user_message(USER, "/help")  # waits while the server fails
    since = len(api.sent)
    await api.wait_for_message(USER, "Nhắc Việc — các lệnh", since=since, timeout=5)
    failed = [c for c in api.calls("getUpdates") if c.error_code == 500]
    assert len(failed) == 2 and failed[1].at - failed[0].at >= 0.45  # 0.5 s, then 1 s
    # Two failures, the answer after ~1.5 s: three getUpdates calls, not hundreds.
    assert api.get_updates_calls - before <= 4


async def test_empty_long_polls_loop_at_once_but_instant_timeouts_do_not_spin(bot: Bot) -> None:
    api = bot.api
    await api.wait_for(lambda: api.timeouts >= 2 or None, timeout=3)
    timeouts = [c for c in api.calls("getUpdates") if c.error_code == 408]
    # A long poll ended with nothing new (408): the next one started at once.
    assert timeouts[1].at - timeouts[0].at < POLL + 0.25
    before = api.get_updates_calls
    first = len(api.calls("getUpdates"))
    api.fail_next("getUpdates", 408, description="Request timeout", times=1000)

    def a_second_of_instant_timeouts() -> bool | None:
        calls = api.calls("getUpdates")[first:]
        return True if calls and calls[-1].at - calls[0].at >= 1.0 else None

    await api.wait_for(a_second_of_instant_timeouts, timeout=5)
    assert api.get_updates_calls - before <= 5


async def test_outbox_delivers_replies_for_other_channels(sqlite_url: str) -> None:
    delivered: list[tuple[str, str]] = []

    class Outbox:
        def can_send(self, address: str) -> bool:
            return address.startswith("telegram:")

        async def send(self, address: str, reply: Reply) -> None:
            delivered.append((address, reply.text))

    async with FakeZaloAPI() as api:
        ctx = await open_context(sqlite_url, api, nhacviec_admins="telegram:42")
        router = Router(ctx, outbox=Outbox())  # type: ignore[arg-type]
        channel = ZaloChannel(ctx.settings, router, poll_timeout=POLL, rate_limiter=fast())
        await channel.start()
        try:
            await say(api, USER, "/start")
            await say(api, USER, "Sở Tài nguyên và Môi trường", "1.")
            await say(api, USER, "1", "chờ quản trị viên")
            await api.wait_for(lambda: delivered or None)
            assert delivered[0][0] == "telegram:42" and "zalo:u1" in delivered[0][1]
        finally:
            await channel.stop()
            await ctx.storage.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret(sqlite_url: str) -> None:
    async with FakeZaloAPI() as api:
        url = f"http://127.0.0.1:{free_port()}/zalo/hook"
        secret = "s3cret-token-for-tests"
        ctx = await open_context(sqlite_url, api, zalo_webhook_url=url, zalo_webhook_secret=secret)
        ctx.clock = system_clock  # the inbox's lease runs on the real clock
        worker = Worker(ctx)
        channel = ZaloChannel(ctx.settings, Router(ctx), rate_limiter=fast(), inbox=worker.inbox)
        await worker.start([channel])
        try:
            assert api.webhook["url"] == url and api.webhook["secret_token"] == secret
            update = api.make_update("message.text.received", USER, text="/help")
            for wrong in (None, "not-the-secret"):
                answer = await api.post_update_to_webhook(url, update, wrong)
                assert answer.status_code == 403
            async with httpx.AsyncClient() as http:
                assert (
                    await http.post(url, content=b"{", headers={SECRET_HEADER: secret})
                ).status_code == 400
            assert not api.sent
            # Zalo itself pushes queued updates with the secret.
            api.add_user_message(USER, "/help")
            await api.wait_for_message(USER, "Nhắc Việc — các lệnh")
            # A redelivered message is answered once.
            since = len(api.sent)
            assert (await api.post_update_to_webhook(url, update, secret)).status_code == 200
            assert (await api.post_update_to_webhook(url, update, secret)).status_code == 200
            await api.wait_for_message(USER, "Nhắc Việc — các lệnh", since=since)
            assert not api.calls("getUpdates")
        finally:
            await worker.stop()
            await ctx.storage.close()


async def test_wrong_token_stops_start_without_quoting_it(sqlite_url: str) -> None:
    async with FakeZaloAPI() as api:
        ctx = AppContext(
            storage=await Storage.open(sqlite_url),
            settings=Settings(zalo_bot_token="1:wrong-token-value", zalo_api_base_url=api.base_url),
            clock=lambda: NOW,
        )
        channel = ZaloChannel(ctx.settings, Router(ctx))
        try:
            with pytest.raises(RuntimeError) as raised:
                await channel.start()
            assert "wrong-token-value" not in str(raised.value)
        finally:
            await channel.stop()
            await ctx.storage.close()


async def test_typing_indicator_before_a_slow_answer(sqlite_url: str) -> None:
    async with FakeZaloAPI() as api:
        ctx = await open_context(sqlite_url, api)
        channel = ZaloChannel(
            ctx.settings, Router(ctx), poll_timeout=POLL, rate_limiter=fast(), typing_after=0.0
        )
        await channel.start()
        try:
            await say(api, ADMIN, "Sở Tài nguyên và Môi trường có việc gì?")
            methods = [c.method for c in api.sent]
            assert methods[0] == "sendChatAction" and "sendMessage" in methods
            assert api.calls("sendChatAction")[0].params == {"chat_id": ADMIN, "action": "typing"}
        finally:
            await channel.stop()
            await ctx.storage.close()


async def test_sends_are_throttled_per_chat(bot: Bot) -> None:
    limiter = RateLimiter(overall=1000.0, overall_burst=1000, per_chat=20.0, chat_burst=2)
    bot.channel.limiter = limiter
    started = time.monotonic()
    for n in range(6):
        await bot.channel.send(USER, Reply([f"tin {n}"]))
    await bot.channel.send("other", Reply(["không phải chờ"]))
    calls = [c for c in bot.api.calls("sendMessage") if c.params["chat_id"] == USER]
    # A burst of 2, then one every 50 ms: the 6th cannot reach the server before 0.2 s have passed
    # (a loaded machine only makes it later; the server stamps a call when it answers it).
    assert [c.params["text"] for c in calls] == [f"tin {n}" for n in range(6)]
    assert calls[-1].at - started >= 0.195
    assert bot.api.calls("sendMessage")[-1].params["chat_id"] == "other"
    # Another chat does not wait for this one's bucket: with this chat's bucket full, a message to
    # it must wait for the bucket to drain, one to a fresh chat goes at once (compared, not timed).
    for _ in range(2):
        await limiter.acquire(USER)
    waited = {}
    for chat_id in (USER, "fresh"):
        at = time.monotonic()
        await limiter.acquire(chat_id)
        waited[chat_id] = time.monotonic() - at
    assert waited[USER] >= 0.04 and waited["fresh"] < waited[USER]


async def test_webhook_secret_is_generated_once_and_shared(sqlite_url: str) -> None:
    """No ZALO_WEBHOOK_SECRET: one is made once and kept in the database, so a restart or a second
    process behind the same webhook registers the same secret (it used to change at each start)."""
    async with FakeZaloAPI() as api:
        url = f"http://127.0.0.1:{free_port()}/zalo/hook"
        ctx = await open_context(sqlite_url, api, zalo_webhook_url=url)
        secrets_seen = []
        ctx.clock = system_clock
        for _round in range(2):  # a restart
            worker = Worker(ctx)
            channel = ZaloChannel(ctx.settings, Router(ctx), rate_limiter=fast(), inbox=worker.inbox)
            await worker.start([channel])
            try:
                secret = api.webhook["secret_token"]
                assert secret and len(secret) >= 32
                secrets_seen.append(secret)
                update = api.make_update("message.text.received", USER, text="/help")
                assert (await api.post_update_to_webhook(url, update, None)).status_code == 403
                assert (await api.post_update_to_webhook(url, update, "")).status_code == 403
            finally:
                await worker.stop()
        assert secrets_seen[0] == secrets_seen[1]
        assert not api.sent
        await ctx.storage.close()
