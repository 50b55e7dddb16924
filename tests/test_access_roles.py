"""Roles never change silently (issue 23 item 2): an invite never raises a pending or existing
account's role without an admin's approval naming the new role; one pending request per account;
approving grants what the request said."""

from __future__ import annotations

from bot.core.domain import Role
from bot.core.replies import Reply
from tests.chat import Chat
from tests.conftest import CHAT_NOW
from tests.test_access_noise import SAMPLE

ADMIN, ACCOUNT = "telegram:1", "telegram:50"
AGENCY = "Sở Tài nguyên và Môi trường"


def _requests(chat: Chat) -> list[Reply]:
    return [r for to, r in chat.sent if to == ADMIN and r.buttons and "Yêu cầu tham gia" in r.text]


def _approve_button(reply: Reply) -> str:
    return next(b.data for row in reply.buttons for b in row if b.data.startswith("ap:"))


async def _pending_officer(chat: Chat) -> None:
    await chat.load(SAMPLE)
    await chat.say("/start", account=ACCOUNT)
    await chat.say(AGENCY, account=ACCOUNT)
    await chat.press(AGENCY, account=ACCOUNT)
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and not user.approved and user.role is Role.OFFICER
    assert len(_requests(chat)) == 1


async def _invite(chat: Chat, role: Role, *, auto: bool) -> str:
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == AGENCY)
    invite = await chat.ctx.storage.create_invite(agency, role, auto_approve=auto, by=ADMIN, now=CHAT_NOW)
    return invite.code


async def test_a_pending_officer_opening_an_admin_invite_does_not_become_admin(chat: Chat) -> None:
    await _pending_officer(chat)
    old = _requests(chat)[-1]
    code = await _invite(chat, Role.ADMIN, auto=False)
    said = " ".join(await chat.say(f"/start {code}", account=ACCOUNT))
    assert "thay cho yêu cầu trước" in said
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and not user.approved  # nothing granted yet
    new = _requests(chat)[-1]
    assert new is not old and "admin" in new.text  # the admin's buttons name the role asked
    # the earlier officer request's Duyệt grants nothing now (it is no longer the request)
    stale = " ".join(await chat.say(callback=_approve_button(old)))
    assert "thay bằng một yêu cầu mới" in stale
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and not user.approved
    # approving the request that names admin grants admin, and says so
    granted = " ".join(await chat.say(callback=_approve_button(new)))
    assert "vai trò admin" in granted
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and user.approved and user.role is Role.ADMIN


async def test_an_invite_approved_in_advance_does_not_raise_a_pending_account(chat: Chat) -> None:
    await _pending_officer(chat)
    code = await _invite(chat, Role.ADMIN, auto=True)
    await chat.say(f"/start {code}", account=ACCOUNT)
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and not user.approved  # an admin approves the request naming admin
    assert "admin" in _requests(chat)[-1].text


async def test_an_existing_member_keeps_its_role(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == AGENCY)
    await chat.ctx.storage.upsert_user(ACCOUNT, agency_id=agency, role=Role.OFFICER, approved=True, active=True)
    for auto in (False, True):
        code = await _invite(chat, Role.ADMIN, auto=auto)
        assert "đã là thành viên" in " ".join(await chat.say(f"/start {code}", account=ACCOUNT))
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and user.role is Role.OFFICER and user.approved


async def test_one_pending_request_per_account(chat: Chat) -> None:
    await _pending_officer(chat)
    await chat.press(AGENCY, account=ACCOUNT)  # pressed again
    code = await _invite(chat, Role.OFFICER, auto=False)  # the same agency and role
    await chat.say(f"/start {code}", account=ACCOUNT)
    await chat.say(f"/start {code}", account=ACCOUNT)
    assert len(_requests(chat)) == 1


async def test_approving_grants_what_the_request_says(chat: Chat) -> None:
    await chat.load(SAMPLE)
    code = await _invite(chat, Role.MANAGER, auto=False)
    await chat.say(f"/start {code}", account=ACCOUNT)
    [request] = _requests(chat)
    assert "manager" in request.text
    assert "vai trò manager" in " ".join(await chat.say(callback=_approve_button(request)))
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None and user.approved and user.role is Role.MANAGER


async def test_an_older_button_without_a_role_grants_only_an_officer(chat: Chat) -> None:
    await chat.load(SAMPLE)
    code = await _invite(chat, Role.ADMIN, auto=False)
    await chat.say(f"/start {code}", account=ACCOUNT)
    user = await chat.ctx.storage.user(ACCOUNT)
    assert user is not None
    said = " ".join(await chat.say(callback=f"ap:{user.id}:{user.agency_id}"))  # a button of before issue 23
    assert "thay bằng một yêu cầu mới" in said
    assert not (await chat.ctx.storage.user(ACCOUNT)).approved  # type: ignore[union-attr]
