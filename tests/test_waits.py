"""Waits never swallow (issue 24 item 4): a question during each wait, a command during each
wait, notes that look like questions and questions that look like notes, /giahan in two messages."""

from __future__ import annotations

import pytest

from bot.core.domain import OccurrenceStatus
from tests.chat import Chat
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"
OFFICER = "telegram:5"


async def _officer(chat: Chat, account: str = OFFICER, role: str = "officer") -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    await chat.ctx.storage.upsert_user(account, agency_id=agency, role=role, approved=True, active=True)


async def _open_wait(chat: Chat, wait: str) -> None:
    """Open one of the free-text waits for the officer."""
    if wait == "done_evidence":
        await chat.say("/xong", account=OFFICER)
        assert "Đã ghi nhận hoàn thành" in " ".join(await chat.say("1", account=OFFICER))
    elif wait == "progress_note":
        await chat.say("/dangthuchien", account=OFFICER)
        assert "Đã ghi nhận đang thực hiện" in " ".join(await chat.say("1", account=OFFICER))
    elif wait == "ext_date":
        await chat.say("/giahan", account=OFFICER)
        assert "Hạn hiện tại" in " ".join(await chat.say("1", account=OFFICER))
    elif wait == "ext_reason":
        await chat.say("/giahan", account=OFFICER)
        await chat.say("1", account=OFFICER)
        assert "Gõ lý do" in " ".join(await chat.say("15/08/2022", account=OFFICER))


async def _notes(chat: Chat) -> list[str]:
    tasks = await chat.ctx.storage.all_tasks()
    return [n for t in tasks for o in t.occurrences for n in (o.note, o.progress_note) if n]


WAITS = ["done_evidence", "progress_note", "ext_date", "ext_reason"]


@pytest.mark.parametrize("wait", WAITS)
async def test_a_question_during_a_wait_is_answered_and_the_wait_stays_open(chat: Chat, wait: str) -> None:
    await _officer(chat)
    await _open_wait(chat, wait)
    answer = " ".join(await chat.say("việc của Văn phòng Sở tháng này", account=OFFICER))
    assert "Vẫn đang chờ" in answer
    assert "Đã lưu ghi chú" not in answer and "Đã gửi đề nghị" not in answer
    assert "việc của Văn phòng Sở" not in " ".join(await _notes(chat))


@pytest.mark.parametrize("wait", WAITS)
async def test_a_command_during_a_wait_ends_it_and_runs(chat: Chat, wait: str) -> None:
    await _officer(chat)
    await _open_wait(chat, wait)
    assert "Nhắc Việc — các lệnh" in " ".join(await chat.say("/help", account=OFFICER))
    # the wait is over: the next free text is a question, not a note or a reason
    answer = " ".join(await chat.say("chờ số liệu của Sở Tài chính", account=OFFICER))
    assert "Đã lưu ghi chú" not in answer and "Đã gửi đề nghị" not in answer and "Vẫn đang chờ" not in answer
    assert await chat.router.conv.state.waiting(OFFICER) is None


@pytest.mark.parametrize(
    "text",
    ["Sở Tư pháp có việc gì quá hạn?", "ai chủ trì chữ ký số", "bao giờ hết hạn rà soát", "có việc nào trễ không"],
)
async def test_questions_that_look_like_notes_are_answered(chat: Chat, text: str) -> None:
    await _officer(chat)
    await _open_wait(chat, "progress_note")
    answer = " ".join(await chat.say(text, account=OFFICER))
    assert "Vẫn đang chờ ghi chú tiến độ" in answer
    assert not await _notes(chat)


@pytest.mark.parametrize(
    "text",
    ["Đã gửi báo cáo số 12/BC-STNMT", "Chờ số liệu của Sở Tài chính", "xong phần rà soát, còn tổng hợp", "ok đã nộp"],
)
async def test_notes_that_look_like_questions_are_kept(chat: Chat, text: str) -> None:
    await _officer(chat)
    await _open_wait(chat, "done_evidence")
    answer = " ".join(await chat.say(text, account=OFFICER))
    assert "Đã lưu ghi chú kết quả" in answer
    assert text in await _notes(chat)


async def test_an_ambiguous_note_is_answered_and_one_tap_keeps_it(chat: Chat) -> None:
    await _officer(chat)
    await _open_wait(chat, "progress_note")
    text = "đã gửi Văn phòng Sở tháng này"
    answer = " ".join(await chat.say(text, account=OFFICER))
    assert "bấm để lưu" in answer and not await _notes(chat)
    assert "Đã lưu ghi chú tiến độ" in " ".join(await chat.press("Lưu làm ghi chú", account=OFFICER))
    assert text in await _notes(chat)


async def test_in_progress_records_at_once_the_note_is_optional(chat: Chat) -> None:
    await _officer(chat)
    await _open_wait(chat, "progress_note")
    tasks = await chat.ctx.storage.all_tasks()
    assert [o for t in tasks for o in t.occurrences if o.in_progress]
    await chat.say("/viec", account=OFFICER)  # no note: nothing lost, nothing waits
    assert await chat.router.conv.state.waiting(OFFICER) is None


async def test_giahan_date_and_reason_in_two_messages(chat: Chat) -> None:
    await _officer(chat)
    await _officer(chat, "telegram:8", role="manager")
    await _open_wait(chat, "ext_reason")
    sent = " ".join(await chat.say("chờ số liệu của Sở Tài chính", account=OFFICER))
    assert "Đã gửi đề nghị gia hạn" in sent and "15/08/2022" in sent
    to_manager = [r for a, r in chat.sent if a == "telegram:8" and r.buttons]
    assert to_manager and "chờ số liệu của Sở Tài chính" in to_manager[-1].text


async def test_giahan_date_and_reason_in_one_message(chat: Chat) -> None:
    await _officer(chat)
    await _officer(chat, "telegram:8", role="manager")
    await _open_wait(chat, "ext_date")
    sent = " ".join(await chat.say("15/08/2022 chờ số liệu", account=OFFICER))
    assert "Đã gửi đề nghị gia hạn" in sent


async def test_the_example_date_is_around_today(chat: Chat) -> None:
    await _officer(chat)
    await _open_wait(chat, "ext_date")
    answer = " ".join(await chat.say("chưa biết nữa", account=OFFICER))
    assert "Chưa thấy ngày hạn mới" in answer and "/2022" in answer  # the chat's today is in 2022


async def test_a_done_result_is_not_done_twice_from_an_old_button(chat: Chat) -> None:
    await _officer(chat)
    await chat.say("/xong", account=OFFICER)
    await chat.say("1", account=OFFICER)
    tasks = await chat.ctx.storage.all_tasks()
    [occ] = [o for t in tasks for o in t.occurrences if o.status == OccurrenceStatus.DONE]
    assert "trước đó" in " ".join(await chat.say(callback=f"done:{occ.id}", account=OFFICER))


async def test_a_removed_account_s_wait_ends_and_nothing_is_stored(chat: Chat) -> None:
    await _officer(chat)
    await _open_wait(chat, "progress_note")
    await chat.ctx.storage.remove_user(OFFICER)
    answer = " ".join(await chat.say("Đã gửi báo cáo số 12/BC-STNMT", account=OFFICER))
    assert "Đã lưu" not in answer
    assert not await _notes(chat)
    waiting = await chat.router.conv.state.waiting(OFFICER)
    assert waiting is None or waiting[0] == "join_agency"  # it may ask to join again, nothing more


async def test_a_demoted_manager_cannot_finish_a_rejection(chat: Chat) -> None:
    await _officer(chat)
    await _officer(chat, "telegram:8", role="manager")
    await _open_wait(chat, "ext_date")
    await chat.say("15/08/2022 chờ số liệu", account=OFFICER)
    await chat.press("Từ chối", account="telegram:8")
    agency = (await chat.ctx.storage.user("telegram:8")).agency_id  # type: ignore[union-attr]
    await chat.ctx.storage.upsert_user("telegram:8", agency_id=agency, role="officer", approved=True, active=True)
    answer = " ".join(await chat.say("không đủ căn cứ", account="telegram:8"))
    assert "Đã từ chối" not in answer
    [ext] = [e for e in [await chat.ctx.storage.extension(1)] if e is not None]
    assert ext.status == "pending"


@pytest.mark.parametrize("wait", WAITS)
@pytest.mark.parametrize("typed", ["²", "👍", "…"])
async def test_a_message_without_a_word_or_a_number_is_no_note(chat: Chat, wait: str, typed: str) -> None:
    await _officer(chat)
    await _open_wait(chat, wait)
    answer = " ".join(await chat.say(typed, account=OFFICER))
    assert "Chưa lưu gì" in answer and "Vẫn đang chờ" in answer
    assert typed not in " ".join(await _notes(chat))
    assert await chat.ctx.storage.pending_extensions() == []
