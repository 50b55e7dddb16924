"""A conversation you can trust (issue 24): each rule, in process through tests/chat.py."""

from __future__ import annotations

from datetime import timedelta

from bot.core.domain import OccurrenceStatus
from handlers.context import AppContext
from handlers.router import Router
from tests.chat import Chat
from tests.conftest import CHAT_NOW, EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


async def _plans(chat: Chat) -> None:
    await chat.load(SAMPLE)
    listing = " ".join(await chat.say("/kehoach"))
    assert "đang theo dõi" in listing


async def _archived(chat: Chat) -> bool:
    return (await chat.ctx.storage.plans())[0].archived


async def test_a_stale_number_after_another_command_does_nothing(chat: Chat) -> None:
    await _plans(chat)
    await chat.say("/help")
    answer = " ".join(await chat.say("1"))
    assert "Danh sách này đã cũ — gõ lại /kehoach" in answer
    assert not await _archived(chat)


async def test_a_stale_number_after_a_question_does_nothing(chat: Chat) -> None:
    await _plans(chat)
    await chat.say("Sở Tư pháp có việc gì quá hạn?")
    assert "đã cũ" in " ".join(await chat.say("1"))
    assert not await _archived(chat)


async def test_a_number_after_ten_minutes_does_nothing(chat: Chat) -> None:
    await _plans(chat)
    chat.ctx.clock = lambda: CHAT_NOW + timedelta(minutes=11)
    assert "đã cũ" in " ".join(await chat.say("1"))
    assert not await _archived(chat)


async def test_a_restart_neither_revives_nor_extends_a_choice(chat: Chat) -> None:
    await _plans(chat)
    later = CHAT_NOW + timedelta(minutes=11)
    restarted = Router(AppContext(storage=chat.ctx.storage, settings=chat.ctx.settings, clock=lambda: later))
    again = Chat(restarted, restarted.ctx)
    assert "đã cũ" in " ".join(await again.say("1"))
    assert not await _archived(chat)
    # within its life the choice works after a restart too (state is in the database)
    await chat.say("/kehoach")
    soon = CHAT_NOW + timedelta(minutes=5)
    other = Router(AppContext(storage=chat.ctx.storage, settings=chat.ctx.settings, clock=lambda: soon))
    assert "Đồng ý?" in " ".join(await Chat(other, other.ctx).say("1"))


async def test_a_stale_number_on_zalo(sqlite_url: str) -> None:
    from tests.chat import open_chat

    async for chat in open_chat(sqlite_url, now=CHAT_NOW, nhacviec_admins="zalo:1"):
        await chat.load(SAMPLE)
        await chat.say("/kehoach", account="zalo:1")
        await chat.say("/xuat", account="zalo:1")
        assert "đã cũ" in " ".join(await chat.say("1", account="zalo:1"))
        assert not await _archived(chat)


async def test_archiving_asks_first_and_both_answers(chat: Chat) -> None:
    await _plans(chat)
    asked = " ".join(await chat.say("1"))
    assert "Lưu trữ kế hoạch" in asked and "Đồng ý?" in asked and not await _archived(chat)
    assert "Đã huỷ" in " ".join(await chat.say("không"))
    assert not await _archived(chat)
    await chat.say("/kehoach")
    await chat.say("1")
    assert "Đã lưu trữ" in " ".join(await chat.say("có"))
    assert await _archived(chat)


async def test_an_old_telegram_button_is_checked_against_the_state(chat: Chat) -> None:
    await _plans(chat)
    await chat.press("Lưu trữ")
    await chat.press("Có")
    # the same old "Lưu trữ" button pressed again: already archived, nothing asked
    answer = " ".join(await chat.say(callback="plan:a:1"))
    assert "đã được lưu trữ trước đó" in answer
    # an old confirmation's Có pressed again: nothing happens twice
    confirm = next(b.data for _a, r in reversed(chat.sent) for row in r.buttons for b in row if b.label == "Có")
    assert "đã cũ" in " ".join(await chat.say(callback=confirm))


async def test_someone_elses_confirmation_is_refused(chat: Chat) -> None:
    await _plans(chat)
    await chat.press("Lưu trữ")
    confirm = next(b.data for _a, r in reversed(chat.sent) for row in r.buttons for b in row if b.label == "Có")
    await chat.ctx.storage.upsert_user("telegram:2", approved=True, active=True)
    assert "đã cũ" in " ".join(await chat.say(callback=confirm, account="telegram:2"))
    assert not await _archived(chat)


async def test_yes_and_no_words_only_with_a_proposal_open(chat: Chat) -> None:
    await _plans(chat)
    await chat.say("1")
    assert "Đã huỷ" in " ".join(await chat.say("ko"))
    await chat.say("/kehoach")
    await chat.say("1")
    assert "Đã lưu trữ" in " ".join(await chat.say("vâng"))
    # no proposal open: "có" and "không" are ordinary text, nothing is pressed
    answer = " ".join(await chat.say("có"))
    assert "Đã" not in answer
    answer = " ".join(await chat.say("không"))
    assert "Đã huỷ" not in answer


async def test_undo_is_confirmed(chat: Chat) -> None:
    await chat.load(SAMPLE)
    await chat.say("/xong")
    await chat.say("1")
    asked = " ".join(await chat.say("1"))  # the "Hoàn tác" button under the result
    assert "Hoàn tác kết quả" in asked and "Đồng ý?" in asked
    assert "Đã hoàn tác" in " ".join(await chat.say("đúng"))
    tasks = await chat.ctx.storage.all_tasks()
    assert not [o for t in tasks for o in t.occurrences if o.status == OccurrenceStatus.DONE]


async def test_roles_are_vietnamese_and_choices_numbered_once(chat: Chat) -> None:
    from bot.channels.console import render
    from bot.core.domain import Role

    await chat.load(SAMPLE)
    await chat.say("/dangthuchien")
    menu = next(r for _a, r in reversed(chat.sent) if r.buttons)
    shown = render(menu)
    assert "1. 🔄 1." not in shown and "1. 🔄 " in shown
    assert [r.label for r in Role] == ["cán bộ", "lãnh đạo", "quản trị viên"]


async def test_yes_to_a_suggested_agency_asks_it(chat: Chat) -> None:
    await chat.load(SAMPLE)
    await chat.ctx.storage.add_agency("Sở Tư pháp")
    answer = " ".join(await chat.say("Sở Tư tháng này"))
    assert "Có phải: Sở Tư pháp?" in answer
    again = " ".join(await chat.say("có"))
    assert "Sở Tư pháp" in again and "Không tìm thấy" not in again and "Tôi chưa hiểu" not in again
    await chat.say("Sở Tư tháng này")
    assert "gõ lại" in " ".join(await chat.say("không"))


async def test_yes_to_the_one_agency_proposed_when_joining(chat: Chat) -> None:
    await chat.load(SAMPLE)
    await chat.say("/start", account="telegram:7")
    proposal = " ".join(await chat.say("so noi vu", account="telegram:7"))
    assert "Bạn thuộc cơ quan nào" in proposal
    asked = " ".join(await chat.say("có", account="telegram:7"))
    assert "Tôi chưa hiểu" not in asked
    assert any("Yêu cầu tham gia" in r.text for _a, r in chat.sent)
