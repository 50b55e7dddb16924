"""Results with evidence (issue 17): notes, report files, undo within 24 hours, "đang thực hiện"."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reminders.digest import build_digest, digest_blocks
from handlers.requests import Request
from tests.chat import Chat
from tests.conftest import CHAT_NOW
from tests.test_cli import SAMPLE, nv


async def _officer(chat: Chat, account: str = "telegram:5", role: str = "officer") -> int:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    await chat.ctx.storage.upsert_user(account, agency_id=agency, role=role, approved=True, active=True)
    return agency


async def test_done_with_a_note_then_undo_by_the_marker(chat: Chat) -> None:
    await _officer(chat)
    menu = " ".join(await chat.say("/xong", account="telegram:5"))
    assert "Chọn việc đã xong" in menu
    done = " ".join(await chat.press("1.", account="telegram:5"))
    assert "Đã ghi nhận hoàn thành" in done and "ghi chú" in done
    saved = " ".join(await chat.say("Đã gửi báo cáo số 12/BC-STNMT", account="telegram:5"))
    assert "Đã lưu ghi chú" in saved
    tasks = await chat.ctx.storage.all_tasks()
    [occ] = [o for t in tasks for o in t.occurrences if o.status == OccurrenceStatus.DONE]
    assert occ.note == "Đã gửi báo cáo số 12/BC-STNMT" and occ.done_by == "telegram:5"
    answer = " ".join(await chat.say("so tai nguyen moi truong da xong", account="telegram:5"))
    assert "12/BC-STNMT" in answer

    # someone else of the agency (an officer, not the marker) cannot undo it
    await chat.ctx.storage.upsert_user(
        "telegram:6", agency_id=(await chat.ctx.storage.user("telegram:5")).agency_id, approved=True, active=True
    )
    refused = " ".join(await chat.say(callback=f"undo:{occ.id}", account="telegram:6"))
    assert "Chỉ người đã đánh dấu xong" in refused
    undo_menu = " ".join(await chat.say("/chuaxong", account="telegram:5"))
    assert "hoàn tác" in undo_menu
    await chat.press("1.", account="telegram:5")
    undone = " ".join(await chat.press("Có", account="telegram:5"))
    assert "Đã hoàn tác" in undone
    result = await chat.ctx.storage.result(occ.id)
    assert result is not None and result.status == "open" and result.note is None


async def test_a_report_file_sent_with_xong_is_stored(chat: Chat) -> None:
    await _officer(chat)
    req = Request(
        channel="telegram", account_id="5", chat_id="5", text="/xong", file_name="bao-cao.pdf", file_size=1234,
        file_id="BQACAgIAAxkB-file",
    )
    replies = await chat.router.handle(req)
    assert "Chọn việc đã xong" in replies[0].text
    occ_id = int(replies[0].buttons[0][0].data.split(":")[1])
    done = await chat.router.handle(Request("telegram", "5", "5", callback=f"done:{occ_id}"))
    assert "bao-cao.pdf" in done[0].text
    result = await chat.ctx.storage.result(occ_id)
    assert (result.file_id, result.file_name, result.file_size) == ("BQACAgIAAxkB-file", "bao-cao.pdf", 1234)
    # a file sent after /xong is the result's file too (its caption the note)
    other = occ_id
    assert await chat.ctx.storage.undo_result(other)
    await chat.router.handle(Request("telegram", "5", "5", callback=f"done:{other}"))
    after = Request("telegram", "5", "5", text="kèm báo cáo", file_name="bc2.docx", file_size=99, file_id="F2")
    saved = await chat.router.handle(after)
    assert "bc2.docx" in saved[0].text
    second = await chat.ctx.storage.result(other)
    assert (second.file_id, second.note) == ("F2", "kèm báo cáo")


async def test_undo_after_24_hours_is_refused_but_a_manager_may_undo_within(chat: Chat) -> None:
    await _officer(chat)
    await _officer(chat, "telegram:8", role="manager")
    await chat.say("/xong", account="telegram:5")
    await chat.press("1.", account="telegram:5")
    [occ] = [o for t in await chat.ctx.storage.all_tasks() for o in t.occurrences if o.status == OccurrenceStatus.DONE]
    await chat.say(callback=f"undo:{occ.id}", account="telegram:8")
    assert "Đã hoàn tác" in " ".join(await chat.press("Có", account="telegram:8"))
    await chat.say(callback=f"done:{occ.id}", account="telegram:5")
    later = CHAT_NOW + timedelta(hours=25)
    chat.ctx.clock = lambda: later
    refused = " ".join(await chat.say(callback=f"undo:{occ.id}", account="telegram:5"))
    assert "24 giờ" in refused


async def test_in_progress_with_a_note_shows_in_answers(chat: Chat) -> None:
    await _officer(chat)
    menu = " ".join(await chat.say("/dangthuchien", account="telegram:5"))
    assert "Chọn việc đang thực hiện" in menu
    marked = " ".join(await chat.press("1.", account="telegram:5"))
    assert "đang thực hiện" in marked
    await chat.say("Đã số hóa 60% hồ sơ", account="telegram:5")
    tasks = await chat.ctx.storage.all_tasks()
    [occ] = [o for t in tasks for o in t.occurrences if o.in_progress]
    assert occ.status == OccurrenceStatus.OPEN and occ.progress_note == "Đã số hóa 60% hồ sơ"
    answer = " ".join(await chat.say("so tai nguyen moi truong nam nay", account="telegram:5"))
    assert "đang thực hiện" in answer and "60%" in answer


def test_the_four_national_states_and_progress_in_the_digest() -> None:
    today = date(2022, 7, 10)
    tasks = [
        TaskView(1, "Đúng hạn", 1, "Sở A", "once", occurrences=(  # type: ignore[arg-type]
            OccurrenceView(1, date(2022, 7, 1), OccurrenceStatus.DONE, date(2022, 6, 30), note="BC 1"),
        )),
        TaskView(2, "Trễ", 1, "Sở A", "once", occurrences=(  # type: ignore[arg-type]
            OccurrenceView(2, date(2022, 7, 1), OccurrenceStatus.DONE, date(2022, 7, 3)),
        )),
        TaskView(3, "Đang làm quá hạn", 1, "Sở A", "once", occurrences=(  # type: ignore[arg-type]
            OccurrenceView(3, date(2022, 7, 5), in_progress=True, progress_note="chờ số liệu"),
        )),
        TaskView(4, "Trong hạn", 1, "Sở A", "once", occurrences=(  # type: ignore[arg-type]
            OccurrenceView(4, date(2022, 7, 12), original_due=date(2022, 7, 8)),
        )),
    ]
    digest = build_digest(tasks, agency_ids={1}, unit_names={1: "Sở A"}, today=today)
    c = digest.total
    assert (c.done_on_time, c.done_late, c.open_late, c.open_on_time) == (1, 1, 1, 1)
    text = " ".join(digest_blocks(digest, agency_label="Sở A", today=today))
    assert "Đang thực hiện quá hạn: 1" in text and "Đang thực hiện trong hạn: 1" in text
    assert "chờ số liệu" in text and "gia hạn từ 08/07/2022" in text


def test_cli_done_with_note_and_file_then_undone(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    asked = json.loads(nv("ask", "so tai nguyen moi truong nam nay", "--today", "2022-06-20", "--json", db=db).stdout)
    occ_id = asked["tasks"][0]["occurrence"]
    report = tmp_path / "bao-cao.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    out = nv("done", str(occ_id), "--note", "Đã nộp", "--file", str(report), db=db)
    assert out.returncode == 0 and "Đã ghi nhận" in out.stdout, out.stderr
    done = json.loads(nv("ask", "so tai nguyen moi truong da xong", "--today", "2022-06-20", "--json", db=db).stdout)
    [item] = [t for t in done["tasks"] if t["occurrence"] == occ_id]
    assert item["note"] == "Đã nộp" and item["file"] == "bao-cao.pdf"
    assert item["national_state"] == "done_late"  # marked today, long after its 2022 due date
    assert nv("undone", str(occ_id), db=db).returncode == 0
    again = nv("undone", str(occ_id), db=db)
    assert again.returncode == 1 and "chưa được đánh dấu xong" in again.stderr
    missing = nv("done", "999999", db=db)
    assert missing.returncode == 1


async def test_a_message_long_after_xong_is_a_question_not_the_note(chat: Chat) -> None:
    await _officer(chat)
    await chat.say("/xong", account="telegram:5")
    await chat.press("1.", account="telegram:5")
    later = CHAT_NOW + timedelta(minutes=20)
    chat.ctx.clock = lambda: later
    answer = " ".join(await chat.say("so tai nguyen moi truong nam nay", account="telegram:5"))
    assert "Đã lưu ghi chú" not in answer and "Tài nguyên" in answer
    [occ] = [o for t in await chat.ctx.storage.all_tasks() for o in t.occurrences if o.status == OccurrenceStatus.DONE]
    assert occ.note == ""


async def test_a_note_within_the_window_is_kept(chat: Chat) -> None:
    await _officer(chat)
    await chat.say("/xong", account="telegram:5")
    await chat.press("1.", account="telegram:5")
    later = CHAT_NOW + timedelta(minutes=10)
    chat.ctx.clock = lambda: later
    assert "Đã lưu ghi chú" in " ".join(await chat.say("Xong, đã nộp", account="telegram:5"))
