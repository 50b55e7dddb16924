"""Joining: an unknown account names its agency, confirms it, and waits for an admin's decision."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.address import Address
from bot.core.domain import Role
from bot.core.i18n import _, use_language
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.core.text import fold
from handlers.commands import Buttons, Command, Payload, Wait
from handlers.help import help_reply
from handlers.requests import payload_id

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

_QUESTION_WORDS = re.compile(
    r"\b(?:co viec gi|viec gi|nhung viec|cac viec|qua han|sap den han|da xong|bao gio|khi nao|the nao|ai chu tri"
    r"|thang nay|tuan nay|nam nay|hom nay|quy nay)\b"
)
JOIN = Payload("join", ("agency",))  # an agency id, or "retype"
APPROVE_JOIN = Payload("ap", ("user_id", "agency_id", "role"))
REJECT_JOIN = Payload("rj", ("user_id",))
REJECTION_COOLDOWN = timedelta(days=1)  # a rejected account may ask again after this


def is_pending(turn: Turn) -> bool:
    """The account asked to join (an agency chosen) and no admin has decided yet."""
    user = turn.user
    return user is not None and user.agency_id is not None and user.active and not user.approved


async def _cooling_down(turn: Turn, conv: Conversation) -> list[Reply] | None:
    until = await conv.state.rejected_until(turn.req.account)
    if until is None:
        return None
    local = until.astimezone(turn.ctx.settings.tz)
    return [
        Reply(
            [
                _("Yêu cầu tham gia của bạn vừa bị từ chối. Bạn có thể gửi lại sau {when}.").format(
                    when=f"{local:%H:%M %d/%m/%Y}"
                )
            ]
        )
    ]


def looks_like_a_question(text: str) -> bool:
    """A stranger waiting to name their agency typed a question instead ("Sở Tư pháp có việc gì quá
    hạn?"): the step must not swallow it as an agency name."""
    folded = fold(text)
    return "?" in text or bool(_QUESTION_WORDS.search(folded))


async def start(turn: Turn, conv: Conversation) -> list[Reply]:

    if turn.approved:
        name = ""
        if turn.user and turn.user.agency_id is not None:
            directory = await turn.ctx.directory()
            if turn.user.agency_id in directory:
                name = directory.full_name(turn.user.agency_id)
        hello = (
            _("Chào bạn! Bạn đang theo dõi việc của {agency}.").format(agency=f"<b>{esc(name)}</b>")
            if name
            else _("Chào bạn!")
        )
        return [Reply([hello]), help_reply()]
    if turn.req.chat_type == "group":
        return [
            Reply(
                [
                    _(
                        "Chào cả nhóm! Quản trị viên hoặc lãnh đạo gõ /lienket TÊN CƠ QUAN để nhận nhắc việc của cơ quan đó ở nhóm này."
                    )
                ]
            )
        ]
    if is_pending(turn):
        return [Reply([_("Yêu cầu tham gia của bạn đang chờ quản trị viên duyệt.")])]
    cooling = await _cooling_down(turn, conv)
    if cooling is not None:
        return cooling
    await conv.state.wait_for(turn.req.account, Wait.JOIN_AGENCY)
    return [
        Reply(
            [
                _(
                    "Chào bạn! Nhắc Việc giúp cán bộ theo dõi nhiệm vụ trong các kế hoạch và nhắc trước mỗi hạn."
                ),
                _("Để tham gia, hãy gõ tên cơ quan/đơn vị của bạn (ví dụ: Sở Tư pháp, Văn phòng UBND tỉnh)."),
            ]
        )
    ]


async def not_approved(turn: Turn, conv: Conversation) -> list[Reply]:
    if turn.req.chat_type == "group":
        address = f"{turn.req.channel}:{turn.req.chat_id}"
        if any(link.address == address for link in await turn.ctx.storage.chat_links()):
            return [
                Reply(
                    [
                        _(
                            "Bạn chưa tham gia Nhắc Việc nên chưa xem được việc. Hãy nhắn riêng cho bot /start để xin tham gia."
                        )
                    ]
                )
            ]
        return [
            Reply(
                [
                    _(
                        "Nhóm này chưa được liên kết với cơ quan nào. Gõ /lienket TÊN CƠ QUAN (quản trị viên hoặc lãnh đạo)."
                    )
                ]
            )
        ]
    if is_pending(turn):
        return [
            Reply(
                [
                    _(
                        "Yêu cầu tham gia của bạn đang chờ quản trị viên duyệt. Khi được duyệt, bạn sẽ nhận được thông báo."
                    )
                ]
            )
        ]
    return await start(turn, conv)


async def agency_typed(turn: Turn, conv: Conversation) -> list[Reply]:
    """The account typed its agency: offer the best matches as buttons to confirm."""
    text = turn.req.text.strip()
    if looks_like_a_question(text):
        return [
            Reply(
                [
                    _("Bạn chưa tham gia nên chưa xem được việc."),
                    _("Để tham gia, hãy gõ tên cơ quan/đơn vị của bạn (ví dụ: Sở Tư pháp, Văn phòng UBND tỉnh)."),
                ]
            )
        ]
    directory = await turn.ctx.directory()
    hit = directory.resolve(text)
    buttons: list[list[Button]] = []
    if hit.agency_id is not None:
        buttons.append([Button(directory.full_name(hit.agency_id), JOIN.build(hit.agency_id))])
    for name in hit.suggestions[:3]:
        other = directory.resolve(name).agency_id
        if other is not None and other != hit.agency_id:
            buttons.append([Button(name, JOIN.build(other))])
    if not buttons:
        return [
            Reply(
                [
                    _("Không tìm thấy cơ quan “{name}”.").format(name=esc(text[:200])),
                    _("Hãy gõ lại tên đầy đủ của cơ quan, hoặc liên hệ quản trị viên."),
                ]
            )
        ]
    buttons.append([Button(_("Không phải, gõ lại"), JOIN.build("retype"))])
    # One candidate and "Không phải, gõ lại": a proposal, "có" / "không" typed answer it.
    return [Reply([_("Bạn thuộc cơ quan nào dưới đây?")], buttons=buttons, proposal=len(buttons) == 2)]


async def join_chosen(
    turn: Turn, conv: Conversation, payload: str, *, role: Role = Role.OFFICER, invited: bool = False
) -> list[Reply]:
    """File the account's one join request (agency and role, named on the admins' buttons). A
    pending account presses again: nothing new; it opens an invite naming another agency or role:
    that request replaces the earlier one, whose buttons then grant nothing (issue 23)."""
    if payload == "retype":
        await conv.state.wait_for(turn.req.account, Wait.JOIN_AGENCY)
        return [Reply([_("Hãy gõ tên cơ quan/đơn vị của bạn.")])]
    if turn.approved:
        return [Reply([_("Bạn đã là thành viên.")])]
    directory = await turn.ctx.directory()
    agency_id = payload_id(payload)
    pending = is_pending(turn)
    same = pending and turn.user is not None and (turn.user.agency_id, turn.user.role) == (agency_id, role)
    if pending and (not invited or same):  # pressed again: the admins were told once
        return [Reply([_("Yêu cầu tham gia của bạn đang chờ quản trị viên duyệt.")])]
    cooling = await _cooling_down(turn, conv)
    if cooling is not None:
        return cooling
    if agency_id is None or agency_id not in directory:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    await conv.state.stop_waiting(turn.req.account)
    user = await turn.ctx.storage.upsert_user(
        turn.req.account, agency_id=agency_id, role=role, name=turn.req.display_name[:200], approved=False, active=True
    )
    agency = directory.full_name(agency_id)
    replies = [
        Reply(
            [
                _("Đã gửi yêu cầu tham gia ({agency}). Vui lòng chờ quản trị viên duyệt.").format(
                    agency=esc(agency)
                )
            ]
        )
    ]
    if pending:
        replies[0].blocks.append(_("Yêu cầu này thay cho yêu cầu trước của bạn."))
    who = esc(turn.req.display_name or turn.req.account)
    for admin in await _admins(turn):
        with use_language(admin[1]):
            replies.append(
                Reply(
                    [
                        _("Yêu cầu tham gia: {who} ({account}) — {agency}").format(
                            who=who, account=esc(turn.req.account), agency=esc(agency)
                        ),
                        _("Vai trò xin: {role}").format(role=role.value),
                    ],
                    buttons=[
                        [
                            Button(_("Duyệt"), APPROVE_JOIN.build(user.id, agency_id, role.value)),
                            Button(_("Từ chối"), REJECT_JOIN.build(user.id)),
                        ]
                    ],
                    to=admin[0],
                )
            )
    if len(replies) == 1:
        replies[0].blocks.append(_("Chưa có quản trị viên nào được cấu hình (NHACVIEC_ADMINS)."))
    return replies


async def _admins(turn: Turn) -> list[tuple[Address, str]]:
    """Admin addresses and their languages: NHACVIEC_ADMINS plus approved users with role admin."""
    found: dict[Address, str] = {a: "vi" for a in turn.ctx.settings.admins}
    for user in await turn.ctx.storage.users():
        if user.address in found:
            found[user.address] = user.language
        elif user.role == Role.ADMIN and user.approved and user.active and user.channel != "console":
            found[user.address] = user.language  # (the console's user is no one to ask on a chat)
    return list(found.items())


def _granted_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


async def decide_join(turn: Turn, conv: Conversation, *, approve: bool, payload: str) -> list[Reply]:
    if not turn.is_admin:
        return [Reply([_("Chỉ quản trị viên mới duyệt được yêu cầu tham gia.")])]
    parts = payload.split(":")
    users = {u.id: u for u in await turn.ctx.storage.users()}
    user_id = payload_id(parts[0]) if parts else None
    if user_id is None or user_id not in users:
        return [Reply([_("Yêu cầu này không còn nữa.")])]
    user = users[user_id]
    if approve:
        if user.approved:
            return [
                Reply([_("Tài khoản {account} đã được duyệt trước đó.").format(account=esc(user.address))])
            ]
        # The button names what it grants (an older button without a role: an officer's); it
        # grants it only while that is still the account's one request.
        agency_id = (payload_id(parts[1]) if len(parts) > 1 else None) or user.agency_id
        role = _granted_role(parts[2] if len(parts) > 2 else Role.OFFICER.value)
        if role is None or agency_id != user.agency_id or role != user.role or not user.active:
            return [Reply([_("Yêu cầu này đã được thay bằng một yêu cầu mới (hoặc không còn nữa).")])]
        await turn.ctx.storage.upsert_user(user.address, agency_id=agency_id, role=role, approved=True, active=True)
        with use_language(user.language):
            note = Reply(
                [_("Yêu cầu tham gia của bạn đã được duyệt. Gõ /help để xem các lệnh.")], to=user.address
            )
        said = _("Đã duyệt {account} với vai trò {role}.").format(account=esc(user.address), role=role.value)
        return [Reply([said]), note]
    await turn.ctx.storage.upsert_user(user.address, approved=False, active=False)
    await conv.state.rejected(user.address, REJECTION_COOLDOWN)
    with use_language(user.language):
        note = Reply(
            [_("Yêu cầu tham gia của bạn chưa được chấp nhận. Hãy liên hệ quản trị viên.")], to=user.address
        )
    return [Reply([_("Đã từ chối {account}.").format(account=esc(user.address))]), note]


COMMANDS = (Command("start", start, lambda: _("Bắt đầu"), ("batdau",), None),)
BUTTONS = (
    Buttons(JOIN, join_chosen, public=True),
    Buttons(APPROVE_JOIN, lambda t, c, rest: decide_join(t, c, approve=True, payload=rest), public=True),
    Buttons(REJECT_JOIN, lambda t, c, rest: decide_join(t, c, approve=False, payload=rest), public=True),
)
