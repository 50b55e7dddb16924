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


async def test_other_chats_are_answered_while_a_big_file_is_read(chat: Chat) -> None:
    """Issue 16: reading a plan runs off the event loop, so an officer's /help does not wait for
    an admin's 60,000-row table (the 190,000-row figure is in benchmarks/import_responsiveness.py)."""
    import asyncio
    import time

    from handlers.requests import Request

    rows = "".join(f"{n},Nhiệm vụ số {n} về cải cách hành chính,Sở Tư pháp,Quý {n % 4 + 1}/2022\n" for n in range(60_000))
    data = ("TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n" + rows).encode()

    async def load() -> bytes:
        return data

    start = time.perf_counter()
    importing = asyncio.create_task(
        chat.router.handle(Request("telegram", "1", "1", file_name="big.csv", file_size=len(data), load_file=load))
    )
    waited = []  # from when each question was due (a blocked loop would make it late) to its answer
    for n in range(4):
        due = start + 0.3 + 0.25 * n
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        assert await chat.say("/help", account="telegram:77")
        waited.append(time.perf_counter() - due)
    replies = await importing
    assert "60000" in " ".join(r.text for r in replies).replace(".", "").replace(",", "")
    assert max(waited) < 1.0, waited
