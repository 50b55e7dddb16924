"""Extensions (issue 17): request with a reason, managers decide with buttons, reminders follow."""

from __future__ import annotations

from datetime import date

from bot.core.replies import Reply
from bot.core.results import parse_extension
from bot.delivery.tick import run_tick
from storage import Storage
from tests.chat import Chat
from tests.test_conversations import SAMPLE
from tests.test_reminder_tick import FakeOutbox, at, ctx_at, seed


def test_new_date_and_reason_are_read() -> None:
    today = date(2022, 6, 20)
    assert parse_extension("15/7/2022 chờ số liệu của Sở Tài chính", today=today) == (
        date(2022, 7, 15),
        "chờ số liệu của Sở Tài chính",
    )
    assert parse_extension("đến ngày 15/07 vì chờ số liệu", today=today) == (date(2022, 7, 15), "chờ số liệu")
    assert parse_extension("xin thêm thời gian", today=today) is None
    assert parse_extension("31/02/2022 lý do", today=today) is None


async def test_approval_moves_the_due_date_and_reminders_follow_it(storage: Storage) -> None:
    await seed(storage, date(2022, 6, 30))
    [task] = await storage.all_tasks()
    occ = task.occurrences[0]
    box = FakeOutbox()
    await run_tick(ctx_at(storage, at(date(2022, 6, 30))).delivery(), sender=box)  # d0 for the old date
    assert len(box.sent) == 2
    ext = await storage.request_extension(
        occ.id, by="telegram:1", at=at(date(2022, 6, 30), 9), new_due=date(2022, 7, 15), reason="chờ số liệu"
    )
    decided = await storage.decide_extension(ext.id, approve=True, by="zalo:z1", at=at(date(2022, 6, 30), 10))
    assert decided is not None and decided.status == "approved" and decided.old_due == date(2022, 6, 30)
    assert await storage.decide_extension(ext.id, approve=False, by="zalo:z1", at=at(date(2022, 6, 30), 11)) is None
    [moved] = (await storage.all_tasks())[0].occurrences
    assert (moved.id, moved.due, moved.original_due) == (occ.id, date(2022, 7, 15), date(2022, 6, 30))
    # no nag for the old date; the new date's d7 goes out (a new key: it names the due date)
    await run_tick(ctx_at(storage, at(date(2022, 7, 7))).delivery(), sender=box)
    assert len(box.sent) == 2
    await run_tick(ctx_at(storage, at(date(2022, 7, 8))).delivery(), sender=box)
    assert len(box.sent) == 4 and "15/07/2022" in box.sent[-1][1]
    keys = [r["key"] for r in await storage.reminder_log()]
    assert f"{occ.id}@2022-07-15:telegram:1:d7" in keys and f"{occ.id}@2022-06-30:telegram:1:d0" in keys


async def _people(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    st = chat.ctx.storage
    await st.upsert_user("telegram:5", agency_id=agency, role="officer", approved=True, active=True, name="Lan")
    await st.upsert_user("telegram:8", agency_id=agency, role="manager", approved=True, active=True)
    other = next(a.id for a in await st.agencies() if a.name == "Thanh tra tỉnh")
    await st.upsert_user("telegram:9", agency_id=other, role="manager", approved=True, active=True)


async def test_chat_request_approved_by_the_agency_manager(chat: Chat) -> None:
    await _people(chat)
    menu = " ".join(await chat.say("xin gia hạn", account="telegram:5"))
    assert "Chọn việc cần xin gia hạn" in menu
    asked = " ".join(await chat.press("1.", account="telegram:5"))
    assert "Gõ ngày hạn mới và lý do" in asked
    [task] = [t for t in await chat.ctx.storage.all_tasks() if t.lead == "Sở Tài nguyên và Môi trường"][:1]
    old = task.occurrences[0].due
    sent = " ".join(await chat.say("15/08/2022 chờ số liệu của Sở Tài chính", account="telegram:5"))
    assert "Đã gửi đề nghị gia hạn" in sent
    to_manager = [r for a, r in chat.sent if a == "telegram:8" and r.buttons]
    assert to_manager and "chờ số liệu" in to_manager[-1].text
    assert not [r for a, r in chat.sent if a == "telegram:9"]  # another agency's manager is not asked
    # the other manager cannot approve it, the officer neither
    data = to_manager[-1].buttons[0][0].data
    assert "Chỉ lãnh đạo" in " ".join(await chat.say(callback=data, account="telegram:9"))
    assert "tự duyệt" in " ".join(await chat.say(callback=data, account="telegram:5"))  # their own request
    asked = " ".join(await chat.press("Đồng ý", account="telegram:8"))
    assert "30/06/2022 → 15/08/2022" in asked  # the one-line summary, then Có / Không
    approved = " ".join(await chat.press("Có", account="telegram:8"))
    assert "Đã đồng ý gia hạn" in approved
    told = [r.text for a, r in chat.sent if a == "telegram:5" and "đã được đồng ý" in r.text]
    assert told and "15/08/2022" in told[-1]
    moved = next(t for t in await chat.ctx.storage.all_tasks() if t.id == task.id).occurrences[0]
    assert moved.due == date(2022, 8, 15) and moved.original_due == old
    answer = " ".join(await chat.say("so tai nguyen moi truong nam nay", account="telegram:5"))
    assert "gia hạn từ" in answer
    again = " ".join(await chat.press("Đồng ý", account="telegram:8"))
    assert "đã được xử lý" in again


async def test_chat_request_rejected_with_a_reason(chat: Chat) -> None:
    await _people(chat)
    await chat.say("/giahan", account="telegram:5")
    await chat.press("1.", account="telegram:5")
    await chat.say("30/09/2022 thiếu người", account="telegram:5")
    asked = " ".join(await chat.press("Từ chối", account="telegram:8"))
    assert "lý do từ chối" in asked
    done = " ".join(await chat.say("Hạn này do tỉnh giao, không lùi được", account="telegram:8"))
    assert "Đã từ chối" in done
    told = [r.text for a, r in chat.sent if a == "telegram:5" and "không được đồng ý" in r.text]
    assert told and "không lùi được" in told[-1]
    tasks = await chat.ctx.storage.all_tasks()
    assert all(o.original_due is None for t in tasks for o in t.occurrences)


async def test_a_reimport_keeps_an_extended_occurrence(storage: Storage) -> None:
    from bot.core.domain import Kind, ParsedPlan, ParsedTask

    await seed(storage, date(2022, 6, 30))
    [task] = await storage.all_tasks()
    occ = task.occurrences[0]
    ext = await storage.request_extension(occ.id, by="telegram:1", at=at(date(2022, 6, 1)), new_due=date(2022, 7, 15), reason="r")
    await storage.decide_extension(ext.id, approve=True, by="zalo:z1", at=at(date(2022, 6, 2)))
    again = ParsedTask(title="Báo cáo <số 1>", lead="Sở Tư pháp", deadline="2022-06-30", kind=Kind.ONCE, dates=[date(2022, 6, 30)])
    result = await storage.save_plan(
        ParsedPlan(tasks=[again], number="1/KH", year=2022), {"Sở Tư pháp": [("Sở Tư pháp", None)]}
    )
    assert result.tasks_updated == 1
    [kept] = (await storage.all_tasks())[0].occurrences
    assert (kept.id, kept.due, kept.original_due) == (occ.id, date(2022, 7, 15), date(2022, 6, 30))


class _Box(FakeOutbox):
    """An outbox keeping the replies sent (with their buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[tuple[str, Reply]] = []

    async def send(self, address: str, reply: Reply) -> None:
        await super().send(address, reply)
        self.replies.append((address, reply))


async def _pending_request(chat: Chat) -> str:
    """Lan (officer of Sở Tài nguyên và Môi trường) asks to move her first task to 15/08/2022;
    → the task's title. The push to the manager is not looked at: he was not online."""
    await _people(chat)
    await chat.say("/giahan", account="telegram:5")
    await chat.press("1.", account="telegram:5")
    assert "Đã gửi đề nghị gia hạn" in " ".join(
        await chat.say("15/08/2022 chờ số liệu của Sở Tài chính", account="telegram:5")
    )
    [ext] = await chat.ctx.storage.pending_extensions()
    found = await chat.ctx.storage.occurrence(ext.occurrence_id)
    assert found is not None
    return found[0].title


async def test_baocao_lists_pending_requests_and_decides_them_later(chat: Chat) -> None:
    title = await _pending_request(chat)
    report = " ".join(await chat.say("/baocao", account="telegram:8"))
    assert "1 đề nghị gia hạn chờ duyệt" in report
    assert title[:30] in report and "15/08/2022" in report and "chờ số liệu của Sở Tài chính" in report
    assert "Người đề nghị: Lan" in report
    listed = [r for a, r in chat.sent if a == "telegram:8" and "chờ duyệt" in r.text][-1]
    assert [b.label.split(":")[0] for b in listed.buttons[0]] == ["Đồng ý", "Từ chối"]
    # another agency's manager does not see it, in /baocao or /baocao of that agency
    assert "chờ duyệt" not in " ".join(await chat.say("/baocao", account="telegram:9"))
    assert "chờ duyệt" not in " ".join(await chat.say("/baocao Sở Tài nguyên và Môi trường", account="telegram:9"))
    # an admin sees it in the agency's report
    assert "chờ duyệt" in " ".join(await chat.say("/baocao Sở Tài nguyên và Môi trường", account="telegram:1"))
    # decided from the list, later, with the same handlers as the push (and its confirmation)
    assert "15/08/2022?" in " ".join(await chat.press("Đồng ý:", account="telegram:8"))
    approved = " ".join(await chat.press("Có", account="telegram:8"))
    assert "Đã đồng ý gia hạn" in approved
    assert [r.text for a, r in chat.sent if a == "telegram:5" and "đã được đồng ý" in r.text]
    assert await chat.ctx.storage.pending_extensions() == []
    assert "chờ duyệt" not in " ".join(await chat.say("/baocao", account="telegram:8"))
    # a stale list's button does nothing a second time
    assert "đã được xử lý" in " ".join(await chat.say(callback=listed.buttons[0][0].data, account="telegram:8"))


async def test_a_pending_request_is_rejected_from_the_list_with_a_reason(chat: Chat) -> None:
    await _pending_request(chat)
    await chat.say("/baocao", account="telegram:8")
    assert "lý do từ chối" in " ".join(await chat.press("Từ chối:", account="telegram:8"))
    assert "Đã từ chối" in " ".join(await chat.say("Hạn đã được phê duyệt, không lùi", account="telegram:8"))
    told = [r.text for a, r in chat.sent if a == "telegram:5" and "không được đồng ý" in r.text]
    assert told and "không lùi" in told[-1]


async def test_the_digest_shows_pending_requests_to_the_managers_who_decide_them(chat: Chat) -> None:
    from bot.delivery.digests import run_digests

    title = await _pending_request(chat)

    box = _Box()
    monday = date(2022, 6, 20)
    assert await run_digests(ctx_at(chat.ctx.storage, at(monday, 7, 31)).delivery(), sender=box) == 2
    mine = " ".join(text for address, text in box.sent if address == "telegram:8")
    assert "1 đề nghị gia hạn chờ duyệt" in mine and title[:30] in mine and "15/08/2022" in mine
    assert "Lan" in mine and "chờ số liệu" in mine
    assert "chờ duyệt" not in " ".join(text for address, text in box.sent if address == "telegram:9")
    [listed] = [r for a, r in box.replies if a == "telegram:8" and r.buttons]
    # the digest's button decides it, as the push's would (after its Có / Không)
    assert "15/08/2022?" in " ".join(await chat.say(callback=listed.buttons[0][0].data, account="telegram:8"))
    assert "Đã đồng ý gia hạn" in " ".join(await chat.press("Có", account="telegram:8"))


async def test_the_pending_list_shows_what_the_gate_lets_the_reader_decide(chat: Chat) -> None:
    """/baocao and the digest list a pending request to exactly those whose buttons would decide it
    (one rule, `bot.core.access.decide`): a manager's own request is not in their list — the
    button would refuse it ("tự duyệt") — but it is in the admin's."""
    from bot.delivery.digests import run_digests

    await _people(chat)
    await chat.say("/giahan", account="telegram:8")
    await chat.press("1.", account="telegram:8")
    assert "Đã gửi đề nghị gia hạn" in " ".join(await chat.say("15/08/2022 chờ số liệu", account="telegram:8"))
    assert "chờ duyệt" not in " ".join(await chat.say("/baocao", account="telegram:8"))
    listed = " ".join(await chat.say("/baocao Sở Tài nguyên và Môi trường", account="telegram:1"))
    assert "1 đề nghị gia hạn chờ duyệt" in listed

    box = _Box()
    await run_digests(ctx_at(chat.ctx.storage, at(date(2022, 6, 20), 7, 31)).delivery(), sender=box)
    assert "chờ duyệt" not in " ".join(text for address, text in box.sent if address == "telegram:8")
    [ext] = await chat.ctx.storage.pending_extensions()
    # the button the manager cannot see is the one the gate refuses him
    from bot.core.access import Action, decide
    from handlers.results import Actor, task_target

    user = await chat.ctx.storage.user("telegram:8")
    found = await chat.ctx.storage.occurrence(ext.occurrence_id)
    assert user is not None and found is not None
    directory = await chat.ctx.directory()
    target = task_target(found[0], requested_by=str(ext.requested_by))
    assert not decide(Actor(user.address, user).subject, Action.EXTENSION_APPROVE, target, directory.descendants)
