"""Access without noise (issue 16): one join request per account, a cooldown after a rejection,
steps that do not swallow a stranger's question, a sentence for what is not text, clean labels."""

from __future__ import annotations

from bot.core.replies import Button
from tests.chat import Chat
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"
STRANGER = "telegram:50"


def _to(chat: Chat, address: str) -> list[str]:
    return [reply.text for to, reply in chat.sent if to == address]


async def _ask_to_join(chat: Chat) -> str:
    await chat.load(SAMPLE)
    await chat.say("/start", account=STRANGER)
    await chat.say("Sở Tài nguyên và Môi trường", account=STRANGER)
    shown = [r for to, r in chat.sent if to == STRANGER and r.buttons][-1]
    return next(b.data for row in shown.buttons for b in row if b.data.startswith("join:") and b.data != "join:retype")


async def test_pressing_join_twenty_times_notifies_the_admins_once(chat: Chat) -> None:
    data = await _ask_to_join(chat)
    for _ in range(20):
        answer = " ".join(await chat.say(callback=data, account=STRANGER))
    assert "đang chờ" in answer
    assert len([t for t in _to(chat, "telegram:1") if "Yêu cầu tham gia" in t]) == 1
    assert "đang chờ" in " ".join(await chat.say("/start", account=STRANGER))


async def test_a_rejected_account_waits_before_asking_again(chat: Chat) -> None:
    data = await _ask_to_join(chat)
    await chat.say(callback=data, account=STRANGER)
    request = [r for to, r in chat.sent if to == "telegram:1" and r.buttons][-1]
    reject = next(b.data for row in request.buttons for b in row if b.data.startswith("rj:"))
    await chat.say(callback=reject)
    again = " ".join(await chat.say("/start", account=STRANGER))
    assert "vừa bị từ chối" in again
    assert "vừa bị từ chối" in " ".join(await chat.say(callback=data, account=STRANGER))
    assert len([t for t in _to(chat, "telegram:1") if "Yêu cầu tham gia" in t]) == 1


async def test_a_strangers_question_is_not_taken_for_an_agency_name(chat: Chat) -> None:
    await chat.load(SAMPLE)
    await chat.say("/start", account=STRANGER)
    answer = " ".join(await chat.say("Sở Tư pháp có việc gì quá hạn?", account=STRANGER))
    assert "Không tìm thấy cơ quan" not in answer and "chưa tham gia" in answer
    # the step still waits for the agency name
    assert "Bạn thuộc cơ quan nào" in " ".join(await chat.say("Sở Tài nguyên và Môi trường", account=STRANGER))


async def test_an_unapproved_member_of_a_linked_group_is_told_to_join(chat: Chat) -> None:
    await chat.load(SAMPLE)
    group = "-900"
    linked = " ".join(await chat.say("/lienket Sở Tài nguyên và Môi trường", chat_type="group", chat_id=group))
    assert "Tài nguyên" in linked
    answer = " ".join(await chat.say("/viec", account=STRANGER, chat_type="group", chat_id=group))
    assert "chưa được liên kết" not in answer and "/start" in answer


async def test_what_is_not_text_gets_a_sentence_in_private_and_silence_in_groups(chat: Chat) -> None:
    for kind in ("sticker", "photo", "voice", "location"):
        assert "chỉ đọc tin nhắn chữ" in " ".join(await chat.say(account=STRANGER, kind=kind))
        assert await chat.say(account=STRANGER, kind=kind, chat_type="group", chat_id="-901") == []


def test_button_labels_lose_control_and_bidirectional_marks() -> None:
    label = "Rà soát\u202e thủ tục\u200b hành\u0007 chính\u2066\n mới"
    assert Button(label, "done:1").label == "Rà soát thủ tục hành chính mới"
