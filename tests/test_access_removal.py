"""Removal and demotion take effect at once (issue 23 item 3): the account's open waits and
choices end in storage, and the gate refuses whatever it sends afterwards — on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.domain import Role
from tests.chat import Chat, open_chat
from tests.conftest import CHAT_NOW
from tests.test_access_noise import SAMPLE

LEAD = "Công an tỉnh"
OFFICER, MANAGER = "telegram:5", "telegram:8"


@pytest.fixture
async def chat_on(db_url: str) -> AsyncIterator[Chat]:
    async for chat in open_chat(db_url, now=CHAT_NOW, nhacviec_admins="telegram:1"):
        await chat.load(SAMPLE)
        st = chat.ctx.storage
        lead = next(a.id for a in await st.agencies() if a.name == LEAD)
        await st.upsert_user(OFFICER, agency_id=lead, role=Role.OFFICER, approved=True, active=True)
        await st.upsert_user(MANAGER, agency_id=lead, role=Role.MANAGER, approved=True, active=True)
        yield chat


async def _done_occurrence(chat: Chat) -> int:
    await chat.say("/xong", account=OFFICER)
    said = " ".join(await chat.press("1.", account=OFFICER))
    assert "Đã ghi nhận hoàn thành" in said
    return next(
        o.id for t in await chat.ctx.storage.all_tasks() for o in t.occurrences if o.done_by == OFFICER
    )


async def test_a_removed_officers_note_in_the_follow_up_window_is_not_saved(chat_on: Chat) -> None:
    chat = chat_on
    occ = await _done_occurrence(chat)
    assert await chat.router.conv.state.waiting(OFFICER) is not None
    await chat.ctx.storage.remove_user(OFFICER)
    assert await chat.router.conv.state.waiting(OFFICER) is None  # the wait ended with the account
    assert await chat.router.conv.state.buttons(OFFICER) is None
    await chat.say("biên bản đã gửi Sở", account=OFFICER)
    result = await chat.ctx.storage.result(occ)
    assert result is not None and result.note is None


async def test_a_removed_officer_with_a_wait_left_over_stores_nothing(chat_on: Chat) -> None:
    """Even a wait that survived (written back by a turn in flight) stores nothing: the gate."""
    chat = chat_on
    occ = await _done_occurrence(chat)
    await chat.ctx.storage.remove_user(OFFICER)
    await chat.router.conv.state.wait_for(OFFICER, "done_evidence", [occ, CHAT_NOW.timestamp()])
    said = " ".join(await chat.say("biên bản đã gửi Sở", account=OFFICER))
    assert "không còn" in said
    assert (await chat.ctx.storage.result(occ)).note is None  # type: ignore[union-attr]


async def _rejection_started(chat: Chat) -> int:
    await chat.say("/giahan", account=OFFICER)
    await chat.press("1.", account=OFFICER)
    await chat.say("30/12/2022 cần thêm thời gian", account=OFFICER)
    asked = " ".join(await chat.press("Từ chối", account=MANAGER))
    assert "lý do từ chối" in asked
    occ = next(o.id for t in await chat.ctx.storage.all_tasks() for o in t.occurrences if t.lead == LEAD)
    [ext] = [e for e in await chat.ctx.storage.extensions(occ)]
    return ext.id


@pytest.mark.parametrize("how", ["removed", "demoted"])
async def test_a_removed_or_demoted_manager_cannot_complete_a_rejection(chat_on: Chat, how: str) -> None:
    chat = chat_on
    ext_id = await _rejection_started(chat)
    if how == "removed":
        await chat.ctx.storage.remove_user(MANAGER)
    else:
        await chat.ctx.storage.upsert_user(MANAGER, role=Role.OFFICER)
    assert await chat.router.conv.state.waiting(MANAGER) is None
    await chat.say("Hạn do tỉnh giao, không lùi được", account=MANAGER)
    assert (await chat.ctx.storage.extension(ext_id)).status == "pending"  # type: ignore[union-attr]
    # nor with the wait written back (a turn in flight): the gate refuses
    await chat.router.conv.state.wait_for(MANAGER, "ext_reject", [ext_id, CHAT_NOW.timestamp()])
    await chat.say("Hạn do tỉnh giao, không lùi được", account=MANAGER)
    assert (await chat.ctx.storage.extension(ext_id)).status == "pending"  # type: ignore[union-attr]
    assert not [r for a, r in chat.sent if a == OFFICER and "không được đồng ý" in r.text]


async def test_a_removed_accounts_numbered_choices_end(chat_on: Chat) -> None:
    chat = chat_on
    await chat.say("/xong", account=OFFICER)
    assert await chat.router.conv.state.buttons(OFFICER)
    await chat.ctx.storage.remove_user(OFFICER)
    await chat.say("1", account=OFFICER)
    assert not [o for t in await chat.ctx.storage.all_tasks() for o in t.occurrences if o.done_by == OFFICER]


async def test_a_promotion_keeps_the_wait(chat_on: Chat) -> None:
    chat = chat_on
    await _done_occurrence(chat)
    await chat.ctx.storage.upsert_user(OFFICER, role=Role.MANAGER)
    assert await chat.router.conv.state.waiting(OFFICER) is not None
