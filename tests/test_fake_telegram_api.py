"""The stand-in Telegram Bot API behaves like Telegram for the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    RateLimits,
    fast_request,
    message_entities,
    render_text,
    shared_ssl_context,
)

USER = 501


@pytest.fixture
def api() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeTelegramAPI) -> AsyncIterator[telegram.Bot]:
    async with api.bot() as client:  # == telegram.Bot(api.token, base_url=f"{api.base_url}/bot", …)
        yield client


async def test_get_me_and_send_message_echo_a_message_ptb_can_read(
    api: FakeTelegramAPI, bot: telegram.Bot
) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "nhacviec_test_bot"

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đã xong", callback_data="done:7")]])
    message = await bot.send_message(
        USER, "Nhiệm vụ <b>báo cáo</b> đến hạn", parse_mode="HTML", reply_markup=keyboard
    )

    assert message.text == "Nhiệm vụ báo cáo đến hạn"
    assert message.chat.id == USER and message.from_user.id == me.id
    assert message.reply_markup == keyboard
    assert api.messages_to(USER) == ["Nhiệm vụ báo cáo đến hạn"]
    [call] = api.sent
    assert (
        call.method == "sendMessage" and call.params["chat_id"] == USER and call.callback_data == ["done:7"]
    )


async def test_base_url_from_environment_value_works(api: FakeTelegramAPI) -> None:
    base = api.env()["TELEGRAM_API_BASE_URL"]
    async with telegram.Bot(api.token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as client:
        assert (await client.get_me()).id == 123456789


async def test_get_updates_honours_offset_and_long_poll_timeout(
    api: FakeTelegramAPI, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.2) == ()
    assert time.monotonic() - started >= 0.15  # it blocked instead of answering at once

    api.add_user_message(USER, "/start")
    api.add_user_message(USER, "việc của Sở Tài chính")
    first = await bot.get_updates(timeout=5)
    assert [u.message.text for u in first] == ["/start", "việc của Sở Tài chính"]
    assert first[0].message.entities[0].type == "bot_command"
    # not confirmed yet: asked again, they come again; confirmed with offset, they are gone
    assert len(await bot.get_updates()) == 2
    assert await bot.get_updates(offset=first[-1].update_id + 1) == ()
    assert api.pending_updates == 0

    # a waiting long poll wakes up as soon as an update arrives
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for(lambda: api.get_updates_calls == 5)  # the poll is waiting in the server
    api.add_user_message(USER, "tiến độ")
    started = time.monotonic()
    [update] = await waiting
    assert update.message.text == "tiến độ" and time.monotonic() - started < 1
    assert api.get_updates_calls == 5


async def test_allowed_updates_filters_update_kinds(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    sent = await bot.send_message(
        USER, "Chọn", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    )
    api.add_user_message(USER, "xin chào")
    api.press_button(USER, sent.to_dict(), "a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["a"]
    assert updates[0].callback_query.message.message_id == sent.message_id


async def test_get_file_and_download_give_back_the_users_bytes(
    api: FakeTelegramAPI, bot: telegram.Bot
) -> None:
    content = bytes(range(256)) * 40 + b"\r\n--boundary\r\n"
    api.add_document(USER, content, "Kế hoạch 2024.xlsx", caption="nhập kế hoạch")
    [update] = await bot.get_updates()
    document = update.message.document
    assert document.file_name == "Kế hoạch 2024.xlsx" and update.message.caption == "nhập kế hoạch"
    file = await bot.get_file(document.file_id)
    assert file.file_path.startswith(f"{api.base_url}/file/bot{api.token}/documents/")
    assert bytes(await file.download_as_bytearray()) == content


async def test_uploaded_document_is_recorded_byte_for_byte(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    payload = b"\x00\x01PK\r\n\r\nbinary" * 100
    message = await bot.send_document(USER, payload, filename="Báo cáo quý.xlsx", caption="Báo cáo")
    assert message.document.file_name == "Báo cáo quý.xlsx" and message.caption == "Báo cáo"
    [call] = api.calls("sendDocument")
    uploaded = api.uploaded_file(call)
    assert uploaded is not None and uploaded.data == payload and uploaded.filename == "Báo cáo quý.xlsx"
    again = await bot.get_file(message.document.file_id)
    assert bytes(await again.download_as_bytearray()) == payload
    photo = await bot.send_photo(USER, b"\x89PNG fake", caption="Biểu đồ")
    assert photo.photo and photo.caption == "Biểu đồ"


async def test_injected_failures_surface_as_ptb_exceptions(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(telegram.error.RetryAfter, match="Retry in 3"):
        await bot.send_message(USER, "một")

    api.fail_next("sendMessage", 403)
    with pytest.raises(telegram.error.Forbidden, match="blocked"):
        await bot.send_message(USER, "hai")

    api.fail_next("sendMessage", 502)
    with pytest.raises(telegram.error.NetworkError):
        await bot.send_message(USER, "ba")

    api.drop_next("sendMessage")
    with pytest.raises(telegram.error.NetworkError):
        await bot.send_message(USER, "bốn")

    assert (await bot.send_message(USER, "năm")).text == "năm"
    assert [c.error_code for c in api.calls("sendMessage")] == [429, 403, 502, None, None]
    assert api.messages_to(USER) == ["năm"]

    api.block_user(USER)
    with pytest.raises(telegram.error.Forbidden):
        await bot.send_message(USER, "sáu")


async def test_telegram_validation_errors(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.BadRequest, match="(?i)unsupported start tag"):
        await bot.send_message(USER, "Giao cho <Sở Nội vụ>", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match="reserved"):
        await bot.send_message(USER, "Hạn 31.12", parse_mode="MarkdownV2")
    assert (await bot.send_message(USER, r"*Hạn* 31\.12", parse_mode="MarkdownV2")).text == "Hạn 31.12"
    with pytest.raises(telegram.error.BadRequest, match="too long"):
        await bot.send_message(USER, "x" * 4097)
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("Xong", callback_data="xong:" + "đ" * 40)]])
    with pytest.raises(telegram.error.BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER, "Chọn", reply_markup=long_data)
    with pytest.raises(telegram.error.BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("nhắc", "Nhắc việc")])
    await bot.set_my_commands([("viec", "Việc của tôi")])
    assert [c.command for c in await bot.get_my_commands()] == ["viec"]
    with pytest.raises(telegram.error.EndPointNotFound):  # unknown method → 404
        await bot.do_api_request("noSuchMethod")


async def test_edits_buttons_and_callback_answers(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đã xong", callback_data="done:1")]])
    sent = await bot.send_message(USER, "Việc A", reply_markup=keyboard)
    with pytest.raises(telegram.error.BadRequest, match="not modified"):
        await bot.edit_message_text("Việc A", USER, sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_text("Việc A ✅", USER, sent.message_id)
    assert edited.text == "Việc A ✅" and edited.reply_markup is None  # no markup → keyboard removed
    with pytest.raises(ValueError, match="no button"):
        api.press_button(USER, sent.message_id, "done:1")

    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard)
    api.press_button(USER, sent.message_id, "done:1")
    [update] = await bot.get_updates()
    assert await update.callback_query.answer("Đã ghi nhận")
    assert list(api.callback_answers().values())[0]["text"] == "Đã ghi nhận"
    assert await bot.send_chat_action(USER, "typing")
    chat = await bot.get_chat(USER)
    assert chat.type == "private"


async def test_rate_limits_reject_bursts_with_retry_after() -> None:
    now = [1000.0]
    with FakeTelegramAPI(
        enforce_limits=True, limits=RateLimits(global_per_second=3), clock=lambda: now[0]
    ) as api:
        async with api.bot() as bot:
            await bot.send_message(1, "a")
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(1, "b")  # 1 per second in a private chat
            await bot.send_message(2, "c")
            await bot.send_message(3, "d")
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(4, "e")  # 3 per second overall here
            now[0] += 1.01
            await bot.send_message(1, "b")
            assert api.rate_limited == 2


async def test_webhook_mode_pushes_updates_with_the_secret(api: FakeTelegramAPI, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict]] = []
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{hook.server_address[1]}/tg", secret_token="s3cret")
        with pytest.raises(telegram.error.Conflict):
            await bot.get_updates()
        api.add_user_message(USER, "xin chào")
        await api.wait_for(lambda: received)
        assert received[0][0] == "s3cret" and received[0][1]["message"]["text"] == "xin chào"
        await api.wait_for(lambda: api.pending_updates == 0)
        await bot.delete_webhook()
    finally:
        hook.shutdown()
        hook.server_close()


async def test_real_application_polls_handles_commands_and_buttons(api: FakeTelegramAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đã xong", callback_data="done:9")]])
        await update.effective_message.reply_text("Chào anh/chị", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Đã đánh dấu hoàn thành")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"{api.base_url}/bot")
        .base_file_url(f"{api.base_url}/file/bot")
        .request(fast_request())
        .get_updates_request(fast_request())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=5)
        api.add_user_message(USER, "/start")
        reply = await api.wait_for_message(USER, "Chào")
        api.press_button(USER, reply, "done:9")
        await api.wait_for_sent(lambda c: c.method == "editMessageText" and c.ok)
        assert api.message(USER, reply.result["message_id"])["text"] == "Đã đánh dấu hoàn thành"
        await app.updater.stop()
        await app.stop()
    assert api.get_updates_calls < 10  # long polling, no busy loop
    assert api.pending_updates == 0  # PTB confirmed what it handled


async def test_raw_http_json_bodies_and_errors(api: FakeTelegramAPI) -> None:
    async with httpx.AsyncClient(base_url=api.bot_api_url + api.token, verify=shared_ssl_context()) as client:
        sent = (await client.post("/sendMessage", json={"chat_id": USER, "text": "json"})).json()
        assert sent["ok"] and sent["result"]["text"] == "json"
        missing = await client.post("/unknownMethod", json={})
        assert missing.status_code == 404 and missing.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
        api.fail_next("sendMessage", 429)
        limited = (await client.post("/sendMessage", json={"chat_id": USER, "text": "x"})).json()
        assert limited == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
    async with httpx.AsyncClient(verify=shared_ssl_context()) as client:
        assert (await client.get(f"{api.base_url}/botWRONG/getMe")).status_code == 401


def test_entities_and_markup_helpers() -> None:
    assert message_entities("/viec@nhacviec_test_bot tuần này") == [
        {"type": "bot_command", "offset": 0, "length": 23}
    ]
    assert message_entities("hỏi @nhacviec_test_bot 🙂 /help") == [
        {"type": "mention", "offset": 4, "length": 18},
        {"type": "bot_command", "offset": 26, "length": 5},  # the emoji counts 2 UTF-16 units
    ]
    assert message_entities("hạn 12/5 và a/b") == []
    assert render_text("a &lt; b <i>nghiêng</i>", "HTML") == (
        "a < b nghiêng",
        [{"type": "italic", "offset": 6, "length": 7}],
    )
