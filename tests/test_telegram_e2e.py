"""End to end on Telegram: the real PTB Application of `TelegramChannel` against the stand-in Bot API.

Every test drives the bot the way a user does (messages, files, button presses through the
stand-in server), and checks what the user sees and what the database holds.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Worker
from bot.channels.telegram import TelegramChannel, split_for_telegram
from bot.core.domain import OccurrenceStatus
from bot.core.importing.options import ImportOptions
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.delivery.ports import DeliveryError, Outbox
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from handlers.router import Router
from storage import Storage
from storage.models import Occurrence
from tests.conftest import EXAMPLES
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedCall

TOKEN = "123:ABC"
ADMIN = 1
USER = 5
NOW = datetime(2022, 6, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"
HEADER = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Kết quả/Sản phẩm"]


@dataclass
class Bot:
    api: FakeTelegramAPI
    channel: TelegramChannel
    ctx: AppContext
    router: Router

    @property
    def storage(self) -> Storage:
        return self.ctx.storage

    def mark(self) -> int:
        """Position in the stand-in's record: wait only for what is sent after it."""
        return len(self.api.sent)

    async def says(self, user_id: int, text: str, expect: str | None = None, **kw: object) -> RecordedCall:
        since = self.mark()
        self.api.add_user_message(user_id, text, **kw)  # type: ignore[arg-type]
        chat_id = kw.get("chat_id", user_id)
        return await self.api.wait_for_message(chat_id, expect, since=since)  # type: ignore[arg-type]

    async def press(self, user_id: int, call: RecordedCall, prefix: str) -> str:
        data = next(d for d in call.callback_data if d.startswith(prefix))
        self.api.press_button(user_id, call, data)
        return data


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(api: FakeTelegramAPI, sqlite_url: str) -> AsyncIterator[Bot]:
    storage = await Storage.open(sqlite_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        telegram_webhook_url=None,
        nhacviec_admins=f"telegram:{ADMIN}",
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


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


async def seed(ctx: AppContext, data: bytes, name: str = "ke-hoach.csv") -> None:
    """Put a plan in the database the way `nhacviec import` does (not the subject of most tests)."""
    parsed = await parse_file(ctx, data, name)
    await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))


async def officer(bot: Bot, user_id: int, agency: str) -> None:
    directory = await bot.ctx.directory()
    agency_id = directory.resolve(agency).agency_id
    assert agency_id is not None, agency
    await bot.storage.upsert_user(
        f"telegram:{user_id}", agency_id=agency_id, role="officer", approved=True, active=True
    )


# -- start-up -----------------------------------------------------------------------------------


async def test_start_publishes_commands_in_both_languages_and_learns_the_username(bot: Bot) -> None:
    assert bot.channel.username == "nhacviec_test_bot"
    vi = {c["command"]: c["description"] for c in bot.api.commands()}
    en = {c["command"]: c["description"] for c in bot.api.commands(language_code="en")}
    assert {"viec", "quahan", "sapden", "xong", "help"} <= set(vi)
    assert "import" not in vi  # everybody's menu is an officer's; admins get theirs per chat
    admin = {c["command"] for c in bot.api.commands({"type": "chat", "chat_id": ADMIN})}
    assert {"import", "moi"} <= admin
    assert set(en) == set(vi)
    assert vi["viec"] == "Việc của tôi"
    await bot.says(ADMIN, "/help", "/viec")
    polls = bot.api.calls("getUpdates")
    assert polls and set(polls[-1].params["allowed_updates"]) >= {"message", "callback_query"}


async def test_start_survives_a_failing_set_my_commands(api: FakeTelegramAPI, sqlite_url: str) -> None:
    api.fail_next("setMyCommands", code=400, description="Bad Request: boom", times=2)
    storage = await Storage.open(sqlite_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        nhacviec_admins=f"telegram:{ADMIN}",
    )
    channel = TelegramChannel(
        settings, Router(AppContext(storage=storage, settings=settings, clock=lambda: NOW))
    )
    await channel.start()
    try:
        api.add_user_message(ADMIN, "/help")
        await api.wait_for_message(ADMIN, "/viec")
    finally:
        await channel.stop()
        await storage.close()


# -- joining --------------------------------------------------------------------------------------


async def test_join_request_approved_by_admin_then_question_answered(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await bot.storage.add_agency("Sở Tư pháp")

    await bot.says(USER, "/start", "gõ tên cơ quan")
    choice = await bot.says(USER, "Sở Tư pháp", "cơ quan nào")
    assert any(d.startswith("join:") for d in choice.callback_data)

    since = bot.mark()
    await bot.press(USER, choice, "join:")
    await bot.api.wait_for_message(USER, "chờ quản trị viên duyệt", since=since)
    request = await bot.api.wait_for_message(ADMIN, "Yêu cầu tham gia", since=since)
    assert "telegram:5" in request.text and "Sở Tư pháp" in request.text
    labels = [b["text"] for row in request.buttons for b in row]
    assert labels == ["Duyệt", "Từ chối"]
    user = await bot.storage.user("telegram:5")
    assert user is not None and not user.approved

    since = bot.mark()
    await bot.press(ADMIN, request, "ap:")
    await bot.api.wait_for_message(ADMIN, "Đã duyệt telegram:5", since=since)
    await bot.api.wait_for_message(USER, "đã được duyệt", since=since)
    user = await bot.storage.user("telegram:5")
    assert user is not None and user.approved
    # The choice was made: the buttons are gone, so they cannot be pressed twice.
    assert "reply_markup" not in bot.api.message(ADMIN, request.result["message_id"])  # type: ignore[operator]

    answer = await bot.says(USER, "Sở Tài nguyên và Môi trường có những việc gì?")
    assert "Số hóa hồ sơ đăng ký đất đai" in (answer.text or "")


# -- importing ------------------------------------------------------------------------------------


async def test_admin_imports_a_csv_after_a_preview_and_a_confirmation(bot: Bot) -> None:
    data = SAMPLE.read_bytes()
    since = bot.mark()
    bot.api.add_document(ADMIN, data, SAMPLE.name, caption="/import")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    assert "10" in (preview.text or "")
    assert (await bot.storage.counts())["tasks"] == 0  # nothing written before the confirmation
    assert len(bot.api.calls("getFile")) == 1

    since = bot.mark()
    await bot.press(ADMIN, preview, "imp:ok:")
    await bot.api.wait_for_message(ADMIN, "Đã nhập kế hoạch", since=since)
    counts = await bot.storage.counts()
    assert counts["tasks"] == 10 and counts["plans"] == 1
    titles = {t.title for t in await bot.storage.all_tasks()}
    assert "Số hóa hồ sơ đăng ký đất đai" in titles
    assert bot.api.callback_answers(), "every button press is answered"


async def test_the_preview_says_a_plan_sent_again_is_recognised_as_the_same_plan(bot: Bot) -> None:
    since = bot.mark()
    bot.api.add_document(ADMIN, SAMPLE.read_bytes(), SAMPLE.name, caption="/import")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    assert "Nhận ra là cùng kế hoạch" not in (preview.text or "")
    since = bot.mark()
    await bot.press(ADMIN, preview, "imp:ok:")
    await bot.api.wait_for_message(ADMIN, "Đã nhập kế hoạch", since=since)
    since = bot.mark()
    bot.api.add_document(ADMIN, SAMPLE.read_bytes(), SAMPLE.name, caption="/import")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    assert "Nhận ra là cùng kế hoạch đã nhập" in (preview.text or ""), preview.text
    assert "thêm 0" in (preview.text or "") and "bỏ 0" in (preview.text or "")


async def test_admin_corrects_an_agency_match_in_the_preview(bot: Bot) -> None:
    await bot.storage.add_agency("Sở Nội vụ")
    since = bot.mark()
    bot.api.add_document(ADMIN, SAMPLE.read_bytes(), SAMPLE.name, caption="/import")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    assert "Sở Tài nguyên và Môi trường → mới, cấp trên cùng" in (preview.text or "")
    assert "Sở Nội vụ → Sở Nội vụ" in (preview.text or "")  # a partner, matched
    since = bot.mark()
    await bot.press(ADMIN, preview, "imp:map:")
    await bot.api.wait_for_message(ADMIN, "tên như trong kế hoạch", since=since)
    preview = await bot.says(ADMIN, "Sở Tài nguyên và Môi trường = Sở Nội vụ", "Xem trước")
    assert "[chủ trì] Sở Tài nguyên và Môi trường → Sở Nội vụ" in (preview.text or "")
    since = bot.mark()
    await bot.press(ADMIN, preview, "imp:ok:")
    await bot.api.wait_for_message(ADMIN, "Đã nhập kế hoạch", since=since)
    task = next(t for t in await bot.storage.all_tasks() if t.title == "Số hóa hồ sơ đăng ký đất đai")
    assert task.lead == "Sở Nội vụ"


async def test_a_photographed_plan_sent_as_a_photo_imports_with_a_progress_note(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 27: a phone photo (Telegram's compressed photo, not a file) is read by OCR; the
    chat hears the progress before the preview."""
    from collections import OrderedDict

    from handlers import importing

    monkeypatch.setattr(importing, "_ocr_kept", OrderedDict())  # read anew, not from another test
    photo = (Path(__file__).parent / "data" / "scans" / "qd-1627-trang-5-anh-chup.jpg").read_bytes()
    since = bot.mark()
    bot.api.add_photo(ADMIN, photo, caption="/import")
    await bot.api.wait_for_message(ADMIN, "Đang nhận dạng chữ: trang 1/1", since=since, timeout=60)
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since, timeout=120)
    assert "Sở Tài chính" in (preview.text or "") and "OCR" in (preview.text or "")


async def test_import_command_then_file(bot: Bot) -> None:
    await bot.says(ADMIN, "/import", "gửi tệp")
    since = bot.mark()
    bot.api.add_document(ADMIN, SAMPLE.read_bytes(), SAMPLE.name)
    await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)


async def test_import_by_a_non_admin_is_refused_and_the_file_never_downloaded(bot: Bot) -> None:
    since = bot.mark()
    bot.api.add_document(7, SAMPLE.read_bytes(), SAMPLE.name, caption="/import")
    refusal = await bot.api.wait_for_message(7, since=since)
    assert "Chỉ quản trị viên" in (refusal.text or "")
    assert bot.api.calls("getFile") == []
    assert (await bot.storage.counts())["tasks"] == 0


async def test_a_broken_file_gets_one_clear_message_and_nothing_is_written(bot: Bot) -> None:
    junk = random.Random(5).randbytes(50_000)
    since = bot.mark()
    bot.api.add_document(ADMIN, junk, "ke-hoach.xlsx")
    message = await bot.api.wait_for_message(ADMIN, since=since)
    assert "Không nhập được tệp" in (message.text or "")
    await bot.says(ADMIN, "/help", "/viec")  # handled after the file: nothing else was sent for it
    sent = [c for c in bot.api.sent[since:] if c.method == "sendMessage"]
    assert len(sent) == 2
    assert (await bot.storage.counts()) == {"plans": 0, "tasks": 0, "occurrences": 0, "agencies": 0}


async def test_a_file_telegram_will_not_serve_gets_a_clear_message(bot: Bot) -> None:
    bot.api.fail_next("getFile", code=400, description="Bad Request: file is too big")
    since = bot.mark()
    bot.api.add_document(ADMIN, SAMPLE.read_bytes(), SAMPLE.name)
    message = await bot.api.wait_for_message(ADMIN, since=since)
    assert "Không tải được tệp" in (message.text or "") and "too big" in (message.text or "")
    assert (await bot.storage.counts())["tasks"] == 0


async def test_task_titles_are_escaped_in_the_html_sent(bot: Bot) -> None:
    title = "Kiểm tra <script>alert(1)</script> & báo cáo <b>đậm</b>"
    data = csv_bytes([["1", title, "Sở Tư pháp", "", "Trước ngày 20/06/2022", "Báo cáo"]])
    since = bot.mark()
    bot.api.add_document(ADMIN, data, "ke-hoach-xss.csv")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    html_sent = str(preview.params["text"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; báo cáo &lt;b&gt;đậm&lt;/b&gt;" in html_sent
    assert "<script>" not in html_sent
    assert title in (preview.text or "")  # what the user sees is the title, literally
    await bot.press(ADMIN, preview, "imp:ok:")
    await bot.api.wait_for_message(ADMIN, "Đã nhập", since=since)

    await officer(bot, USER, "Sở Tư pháp")
    answer = await bot.says(USER, "/viec")
    assert "&lt;script&gt;" in str(answer.params["text"])
    assert "<script>alert(1)</script> & báo cáo" in (answer.text or "")


# -- marking done ---------------------------------------------------------------------------------


async def test_done_button_marks_the_occurrence_done_by_whom_and_when(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await officer(bot, USER, "Sở Tài nguyên và Môi trường")
    menu = await bot.says(USER, "/xong", "Chọn việc đã xong")
    data = next(d for d in menu.callback_data if d.startswith("done:"))
    occurrence_id = int(data.partition(":")[2])

    since = bot.mark()
    bot.api.press_button(USER, menu, data)
    await bot.api.wait_for_message(USER, "Đã ghi nhận hoàn thành", since=since)
    found = await bot.storage.occurrence(occurrence_id)
    assert found is not None
    task, occurrence = found
    assert occurrence.status == OccurrenceStatus.DONE
    assert occurrence.done_at == NOW.astimezone(bot.ctx.settings.tz).date()
    assert "Sở Tài nguyên" in task.lead
    async with bot.storage.db.sessions() as session:  # who and when, as stored
        row = await session.get(Occurrence, occurrence_id)
    assert row is not None and row.done_by == "telegram:5"
    assert row.done_at is not None and row.done_at.replace(tzinfo=UTC) == NOW


# -- long answers -------------------------------------------------------------------------------


async def test_a_long_answer_is_split_between_tasks_under_4096_characters(bot: Bot) -> None:
    rows = [
        [
            str(n),
            f"Nhiệm vụ số {n:03d}: rà soát, cập nhật và công khai thủ tục hành chính thuộc phạm vi quản lý",
            "Sở Tư pháp",
            "",
            f"Trước ngày {1 + n % 28:02d}/{7 + n % 6:02d}/2022",
            "Báo cáo",
        ]
        for n in range(1, 301)
    ]
    since = bot.mark()
    bot.api.add_document(ADMIN, csv_bytes(rows), "ke-hoach-300.csv")
    preview = await bot.api.wait_for_message(ADMIN, "Xem trước", since=since)
    assert "300" in (preview.text or "")
    await bot.press(ADMIN, preview, "imp:ok:")
    await bot.api.wait_for_message(ADMIN, "Đã nhập", since=since)
    tasks = await bot.storage.all_tasks()
    assert len(tasks) == 300

    # A reply listing every task, one block per task, as the digest and listings build them.
    blocks = ["<b>Việc của Sở Tư pháp</b>"] + [
        f"• {esc(t.title)} — hạn {t.occurrences[0].due:%d/%m/%Y}"
        for t in sorted(tasks, key=lambda t: t.title)
    ]
    since = bot.mark()
    await bot.channel.send(str(ADMIN), Reply(blocks, buttons=[[Button("Xem thêm", "more:1")]]))
    parts = [c for c in bot.api.sent[since:] if c.method == "sendMessage"]
    assert len(parts) >= 5
    assert all(c.ok and len(c.params["text"]) <= 4096 for c in parts)
    for n in range(1, 301):  # every task whole, in exactly one message
        holders = [c for c in parts if f"Nhiệm vụ số {n:03d}:" in c.params["text"]]
        assert len(holders) == 1
        line = next(b for b in blocks if f"số {n:03d}:" in b)
        assert line in holders[0].params["text"]
    assert [bool(c.buttons) for c in parts] == [False] * (len(parts) - 1) + [True]

    # The chat answer over the same 300 tasks arrives whole too.
    await officer(bot, USER, "Sở Tư pháp")
    answer = await bot.says(USER, "Sở Tư pháp có những việc gì?")
    assert answer.ok and "Nhiệm vụ số" in (answer.text or "")


def test_split_counts_utf16_units() -> None:
    blocks = ["😀" * 1500, "😀" * 1500, "😀" * 1500]  # 3,000 UTF-16 units each
    parts = split_for_telegram(blocks)
    assert len(parts) == 3
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)


async def test_photo_with_a_long_text_goes_as_photo_then_text(bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    since = bot.mark()
    await bot.channel.send(str(ADMIN), Reply(["x" * 1500], photo=png, buttons=[[Button("OK", "ok")]]))
    calls = bot.api.sent[since:]
    assert [c.method for c in calls] == ["sendPhoto", "sendMessage"]
    assert calls[1].buttons and not calls[0].buttons
    since = bot.mark()
    await bot.channel.send(str(ADMIN), Reply(["<b>Biểu đồ</b>"], photo=png))
    (call,) = bot.api.sent[since:]
    assert call.method == "sendPhoto" and call.text == "Biểu đồ"


# -- robustness -----------------------------------------------------------------------------------


async def test_an_error_inside_a_handler_gets_an_apology_and_the_bot_goes_on(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    real_user = bot.storage.user
    calls = {"n": 0}

    async def failing_once(address: str):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return await real_user(address)

    bot.storage.user = failing_once  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        apology = await bot.says(ADMIN, "/help")
    assert "Xin lỗi" in (apology.text or "")
    # The router's one error boundary per turn catches it (issue 23 item 5); the channel's own
    # net ("error handling update") is for what happens outside a turn.
    record = next(r for r in caplog.records if "error handling" in r.getMessage())
    assert "telegram:1" in record.getMessage() and "/help" in record.getMessage()
    assert TOKEN not in caplog.text

    await bot.says(ADMIN, "/help", "/viec")

    # An error inside a command handler: the router apologises, the next message is answered.
    import handlers.tasks_cmds as tasks_cmds

    async def broken(*args: object, **kwargs: object) -> list[Reply]:
        raise ValueError("bug")

    original = tasks_cmds.done_menu
    tasks_cmds.done_menu = broken  # type: ignore[assignment]
    try:
        apology = await bot.says(ADMIN, "/xong")
    finally:
        tasks_cmds.done_menu = original
    assert "Xin lỗi" in (apology.text or "")
    await bot.says(ADMIN, "/help", "/viec")


async def test_a_10000_character_message_is_answered(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await officer(bot, USER, "Sở Tài nguyên và Môi trường")
    text = "Sở Tài nguyên và Môi trường có những việc gì? " + "rất dài " * 1300
    assert len(text) >= 10_000
    since = bot.mark()
    answer = await bot.says(USER, text)
    assert answer.ok
    sends = bot.api.sent[since:]
    assert sends and all(c.ok for c in sends)


async def test_a_403_on_send_marks_the_account_inactive(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await officer(bot, USER, "Sở Tài nguyên và Môi trường")
    bot.api.block_user(USER)
    with pytest.raises(DeliveryError) as caught:
        await bot.channel.send(str(USER), Reply(["Nhắc việc"]))
    assert caught.value.blocked
    user = await bot.storage.user("telegram:5")
    assert user is not None and not user.active
    assert len([c for c in bot.api.calls("sendMessage") if c.chat_id == USER]) == 1  # never retried


async def test_a_blocked_user_writing_does_not_stop_the_bot(bot: Bot) -> None:
    await bot.storage.add_agency("Sở Tư pháp")
    await officer(bot, USER, "Sở Tư pháp")
    bot.api.block_user(USER)
    bot.api.add_user_message(USER, "/help")
    await bot.api.wait_for(lambda: [c for c in bot.api.calls("sendMessage") if c.error_code == 403])
    # The 403 is answered before the bot records it: wait for the write, polling the database.
    for _ in range(300):
        user = await bot.storage.user("telegram:5")
        if user is not None and not user.active:
            break
        await asyncio.sleep(0.01)
    assert user is not None and not user.active
    await bot.says(ADMIN, "/help", "/viec")


async def test_a_cut_connection_is_unknown_and_a_429_is_retried(bot: Bot) -> None:
    # The request reached the server and the connection was cut: it may have been delivered, so
    # the send is not repeated inside the channel (issue 15) — the caller learns "unknown".
    bot.api.drop_next("sendMessage")
    with pytest.raises(DeliveryError) as caught:
        await bot.channel.send(str(ADMIN), Reply(["mất kết nối"]))
    assert caught.value.unknown and not caught.value.blocked
    await bot.channel.send(str(ADMIN), Reply(["sau lỗi mạng"]))
    bot.api.fail_next("sendMessage", code=429, retry_after=1)
    await bot.channel.send(str(ADMIN), Reply(["sau 429"]))
    assert bot.api.messages_to(ADMIN) == ["sau lỗi mạng", "sau 429"]


async def test_429_left_after_retries_is_reported_with_retry_after(bot: Bot) -> None:
    bot.api.fail_next("sendMessage", code=429, retry_after=1, times=4)
    with pytest.raises(DeliveryError) as caught:
        await bot.channel.send(str(ADMIN), Reply(["x"]))
    assert caught.value.retry_after == 1 and not caught.value.blocked


async def test_a_burst_of_reminders_stays_under_telegrams_limits(sqlite_url: str) -> None:
    async with FakeTelegramAPI(token=TOKEN, enforce_limits=True) as api:
        storage = await Storage.open(sqlite_url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.base_url,
        )
        channel = TelegramChannel(
            settings, Router(AppContext(storage=storage, settings=settings, clock=lambda: NOW))
        )
        await channel.start()
        try:
            await asyncio.gather(*(channel.send(str(2000 + n), Reply([f"Nhắc việc {n}"])) for n in range(45)))
        finally:
            await channel.stop()
            await storage.close()
        assert api.rate_limited == 0
        assert len([c for c in api.calls("sendMessage") if c.ok]) == 45


async def test_other_failures_raise_delivery_error(bot: Bot) -> None:
    with pytest.raises(DeliveryError) as caught:
        await bot.channel.send("0", Reply(["x"]))  # "chat not found"
    assert not caught.value.blocked and caught.value.retry_after is None


# -- groups ---------------------------------------------------------------------------------------


async def test_groups_answer_only_commands_and_mentions(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await officer(bot, USER, "Sở Tài nguyên và Môi trường")
    group = -1001234
    since = bot.mark()
    bot.api.add_user_message(USER, "chào cả nhà, hôm nay họp lúc 9h", chat_id=group, chat_type="supergroup")
    answer = await bot.says(
        USER,
        "@nhacviec_test_bot Sở Tài nguyên và Môi trường có những việc gì?",
        chat_id=group,
        chat_type="supergroup",
    )
    assert "Số hóa hồ sơ" in (answer.text or "")
    assert len([c for c in bot.api.sent[since:] if c.method == "sendMessage"]) == 1
    assert answer.result["reply_to_message"]["from"]["id"] == USER

    mine = await bot.says(USER, "/viec@nhacviec_test_bot", chat_id=group, chat_type="supergroup")
    assert "Số hóa hồ sơ" in (mine.text or "")

    since = bot.mark()
    bot.api.add_user_message(USER, "/viec@other_bot", chat_id=group, chat_type="supergroup")
    bot.api.add_document(USER, b"a,b\n", "notes.csv", chat_id=group, chat_type="supergroup")
    await bot.says(USER, "/help@nhacviec_test_bot", "/viec", chat_id=group, chat_type="supergroup")
    assert len([c for c in bot.api.sent[since:] if c.method == "sendMessage"]) == 1
    assert bot.api.calls("getFile") == []


# -- webhook ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _webhook_settings(api: FakeTelegramAPI, port: int, **extra: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram-hook",
        telegram_webhook_port=port,
        nhacviec_admins=f"telegram:{ADMIN}",
        **extra,  # type: ignore[arg-type]
    )


async def test_webhook_mode_receives_updates_with_the_secret(api: FakeTelegramAPI, sqlite_url: str) -> None:
    port = _free_port()
    storage = await Storage.open(sqlite_url)
    settings = _webhook_settings(api, port, telegram_webhook_secret="s3cret-value")
    ctx = AppContext(storage=storage, settings=settings)
    worker = Worker(ctx)
    channel = TelegramChannel(settings, Router(ctx), inbox=worker.inbox)
    await worker.start([channel])
    try:
        assert api.webhook == {
            "url": f"http://127.0.0.1:{port}/telegram-hook",
            "secret_token": "s3cret-value",
        }
        api.add_user_message(ADMIN, "/help")
        await api.wait_for_message(ADMIN, "/viec")
        assert api.get_updates_calls == 0
    finally:
        await worker.stop()
        await storage.close()


# -- token hygiene --------------------------------------------------------------------------------


async def test_the_token_is_never_logged(
    api: FakeTelegramAPI, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage = await Storage.open(sqlite_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        nhacviec_admins=f"telegram:{ADMIN}",
    )
    with caplog.at_level(logging.DEBUG):
        channel = TelegramChannel(
            settings, Router(AppContext(storage=storage, settings=settings, clock=lambda: NOW))
        )
        await channel.start()
        try:
            api.add_user_message(ADMIN, "/help")
            await api.wait_for_message(ADMIN, "/viec")
            api.drop_next("sendMessage")
            with pytest.raises(DeliveryError) as caught:  # a cut connection: outcome unknown
                await channel.send(str(ADMIN), Reply(["x"]))
            assert TOKEN not in str(caught.value)
        finally:
            await channel.stop()
            await storage.close()
    assert caplog.records
    assert TOKEN not in caplog.text


async def test_a_rejected_token_is_not_quoted(api: FakeTelegramAPI, sqlite_url: str) -> None:
    storage = await Storage.open(sqlite_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="999:WRONG-SECRET",
        telegram_api_base_url=api.base_url,
    )
    channel = TelegramChannel(
        settings, Router(AppContext(storage=storage, settings=settings, clock=lambda: NOW))
    )
    try:
        with pytest.raises(RuntimeError) as caught:
            await channel.start()
        assert "WRONG-SECRET" not in str(caught.value)
    finally:
        await storage.close()


async def test_webhook_without_a_configured_secret_generates_one_and_refuses_forged_updates(
    api: FakeTelegramAPI, sqlite_url: str
) -> None:
    """No TELEGRAM_WEBHOOK_SECRET: a secret is generated once, kept in the database (a second
    process gets the same), registered with setWebhook; a POST without it is refused unread."""
    import httpx

    port = _free_port()
    storage = await Storage.open(sqlite_url)
    settings = _webhook_settings(api, port)
    ctx = AppContext(storage=storage, settings=settings)
    router = Router(ctx)
    worker = Worker(ctx)
    handled: list[object] = []
    original = router.handle

    async def spy(req):  # type: ignore[no-untyped-def]
        handled.append(req)
        return await original(req)

    router.handle = spy  # type: ignore[method-assign]
    channel = TelegramChannel(settings, router, inbox=worker.inbox)
    await worker.start([channel])
    try:
        secret = api.webhook["secret_token"]
        assert secret and len(secret) >= 32
        other = await Storage.open(sqlite_url)
        try:
            other_router = Router(AppContext(storage=other, settings=settings, clock=lambda: NOW))
            assert await other_router.webhook_secret("telegram") == secret
        finally:
            await other.close()
        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": ADMIN, "type": "private"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
                "text": "/help",
            },
        }
        async with httpx.AsyncClient() as http:
            url = f"http://127.0.0.1:{port}/telegram-hook"
            no_secret = await http.post(url, json=forged)
            wrong = await http.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert no_secret.status_code == 403 and wrong.status_code == 403
        api.add_user_message(ADMIN, "/help")  # the stand-in posts with the registered secret
        await api.wait_for_message(ADMIN, "/viec")
        assert len(handled) == 1
    finally:
        await worker.stop()
        await storage.close()


async def test_stickers_and_locations_get_a_sentence(bot: Bot) -> None:
    """What is not text gets a clear reply in private (issue 16), through the real Application."""
    for extra in (
        {"sticker": {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"}},
        {"location": {"latitude": 15.12, "longitude": 108.8}},
    ):
        message = {
            "message_id": 7000 + len(extra),
            "date": 0,
            "chat": {"id": 4242, "type": "private", "first_name": "X"},
            "from": {"id": 4242, "is_bot": False, "first_name": "X"},
            **extra,
        }
        since = len(bot.api.messages_to(4242))
        bot.api.add_update({"message": message})
        await bot.api.wait_for_message(4242, "chỉ đọc tin nhắn chữ", since=since)


# -- results with evidence, reports (issue 17) -----------------------------------------------------


async def test_a_report_file_sent_with_xong_is_kept_by_its_file_id_and_never_downloaded(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    await officer(bot, USER, "Sở Tài nguyên và Môi trường")
    since = bot.mark()
    update = bot.api.add_document(USER, b"%PDF-1.4 bao cao", "bao-cao-quy-2.pdf", caption="/xong")
    menu = await bot.api.wait_for_message(USER, "Chọn việc đã xong", since=since)
    data = next(d for d in menu.callback_data if d.startswith("done:"))
    since = bot.mark()
    bot.api.press_button(USER, menu, data)
    await bot.api.wait_for_message(USER, "bao-cao-quy-2.pdf", since=since)
    result = await bot.storage.result(int(data.partition(":")[2]))
    assert result is not None and result.status == "done"
    document = update["message"]["document"]
    assert (result.file_id, result.file_name, result.file_size) == (
        document["file_id"],
        "bao-cao-quy-2.pdf",
        len(b"%PDF-1.4 bao cao"),
    )
    assert bot.api.calls("getFile") == []  # kept as a reference, not downloaded


async def test_xuat_sends_the_workbook_as_a_document_after_its_summary(bot: Bot) -> None:
    await seed(bot.ctx, SAMPLE.read_bytes(), SAMPLE.name)
    directory = await bot.ctx.directory()
    agency_id = directory.resolve("Sở Tài nguyên và Môi trường").agency_id
    await bot.storage.upsert_user(f"telegram:{USER}", agency_id=agency_id, role="manager", approved=True, active=True)
    since = bot.mark()
    bot.api.add_user_message(USER, "/xuat")
    await bot.api.wait_for(lambda: any(c.method == "sendDocument" for c in bot.api.sent[since:]) or None, 10)
    calls = bot.api.sent[since:]
    assert [c.method for c in calls] == ["sendMessage", "sendDocument"]
    assert "Tổng số" in (calls[0].text or "")
    uploaded = bot.api.uploaded_file(calls[1])
    assert uploaded is not None and uploaded.filename.endswith(".xlsx")
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(uploaded.data)).sheetnames == ["Nhiệm vụ", "Tổng hợp"]
