"""Conversations driven in process through the `chat` fixture (no HTTP): access, questions, commands."""

from __future__ import annotations

from tests.chat import Chat
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


async def test_a_stranger_asks_to_join_and_sees_nothing_before_approval(chat: Chat) -> None:
    await chat.load(SAMPLE)
    first = await chat.say("/start", account="telegram:7")
    assert first and "Nhắc Việc" in " ".join(first)
    answer = " ".join(await chat.say("so tai nguyen moi truong nam nay", account="telegram:7"))
    assert answer and "Số hóa hồ sơ đăng ký đất đai" not in answer
    admin = " ".join(await chat.say("so tai nguyen moi truong nam nay"))
    assert "Số hóa hồ sơ đăng ký đất đai" in admin


async def test_an_admin_question_is_answered_with_tasks(chat: Chat) -> None:
    await chat.load(SAMPLE)
    answer = " ".join(await chat.say("so tai nguyen moi truong nam nay"))
    assert "Tài nguyên và Môi trường" in answer
    assert "Không có việc" not in answer


async def test_unknown_command_gets_help(chat: Chat) -> None:
    answer = " ".join(await chat.say("/khongcolenhnay"))
    assert "/khongcolenhnay" in answer and "/help" in answer


async def test_a_very_long_message_is_answered(chat: Chat) -> None:
    await chat.load(SAMPLE)
    assert await chat.say("việc " * 2500)


async def test_forged_button_data_is_refused_with_a_sentence(chat: Chat, caplog) -> None:  # type: ignore[no-untyped-def]
    await chat.load(SAMPLE)
    for data in ("done:" + "9" * 30, "done:١٢", "done:-1", "ap:99999999999999999999", "rj:x", "join:0", "imp:zz", "???"):
        answer = await chat.say(callback=data)
        assert answer and all("lỗi" not in line.lower() for line in answer), (data, answer)
        answer = await chat.say(callback=data, account="telegram:77")  # a stranger too
        assert answer, data
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
