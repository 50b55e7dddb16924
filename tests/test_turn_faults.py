"""No fault ends a turn (issue 23 items 5 and 6): one error boundary per turn, and only ASCII
digits choose a numbered option."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event

from bot.channels.console import run_console
from storage.errors import StorageError
from tests.chat import Chat
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


@pytest.mark.parametrize("typed", ["²", "①", "١", "𝟏", "൧", "1️⃣", "１"])
async def test_only_ascii_digits_choose(chat: Chat, typed: str, caplog: pytest.LogCaptureFixture) -> None:
    await chat.load(SAMPLE)
    await chat.say("/kehoach")
    answer = " ".join(await chat.say(typed))
    assert "lưu trữ" not in answer.lower() or "Đã lưu trữ" not in answer
    assert "Traceback" not in caplog.text and "ValueError" not in caplog.text
    assert "Xin lỗi, đã có lỗi" not in answer


def _read_only_switch(chat: Chat) -> dict[str, bool]:
    """New connections are read-only while the switch is on (a file made read-only, then writable)."""
    switch = {"ro": False}

    @event.listens_for(chat.ctx.storage.db.engine.sync_engine, "connect")
    def _ro(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        if switch["ro"]:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA query_only = ON")
            cur.close()

    return switch


async def test_a_read_only_database_gives_its_sentence_then_recovers(chat: Chat) -> None:
    await chat.load(SAMPLE)
    switch = _read_only_switch(chat)
    switch["ro"] = True
    await chat.ctx.storage.db.engine.dispose()
    for command in ("/kehoach", "/xong", "/lang en", "/giahan"):
        answer = " ".join(await chat.say(command))
        assert "chỉ đọc" in answer or "read-only" in answer, (command, answer)
    switch["ro"] = False  # the file is writable again: no restart needed
    answer = " ".join(await chat.say("/xong"))
    assert "Chọn việc đã xong" in answer
    answer = " ".join(await chat.say("1"))
    assert "Đã ghi nhận hoàn thành" in answer


async def test_showing_buttons_is_inside_the_boundary(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    await chat.load(SAMPLE)

    async def full(*_a: object, **_k: object) -> None:
        raise StorageError("Cơ sở dữ liệu đã đầy (hết chỗ trên đĩa); chưa ghi được gì. Hãy báo quản trị viên.")

    monkeypatch.setattr(chat.router.conv.state, "show_buttons", full)
    answer = " ".join(await chat.say("/kehoach"))
    assert "đầy" in answer


async def test_the_console_survives_a_full_disk(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    await chat.load(SAMPLE)
    calls = {"n": 0}
    real = chat.router.handle

    async def flaky(req):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return await real(req)

    monkeypatch.setattr(chat.router, "handle", flaky)
    out = io.StringIO()
    await run_console(chat.router, io.StringIO("/viec\n/help\n"), out)
    assert "/kehoach" in out.getvalue() and "boom" not in out.getvalue()


async def test_a_reply_that_fails_to_send_does_not_end_the_turn(caplog: pytest.LogCaptureFixture) -> None:
    """Sending is inside the turn's boundary too: a reply whose send raises something unexpected
    is logged as one line and the turn's other replies still go out."""
    from bot.channels.base import deliver_turn
    from bot.core.replies import Reply

    class Flaky:
        name = "telegram"
        sent: list[str] = []

        async def send(self, chat_id: str, reply: Reply) -> None:
            if "first" in reply.text:
                raise RuntimeError("the adapter broke while rendering")
            self.sent.append(reply.text)

    channel = Flaky()
    await deliver_turn(channel, "42", [Reply(["first"]), Reply(["second"])], None)  # type: ignore[arg-type]
    assert channel.sent == ["second"]
    assert "reply to telegram:42 failed" in caplog.text
