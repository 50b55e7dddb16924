"""Onboarding in chat: /id, invite links (/moi → t.me/<bot>?start=<code>) and the command menus.

- `/id` answers anyone (even before joining) with their account id, the value an operator puts
  in NHACVIEC_ADMINS; in a group it gives the group's id too.
- `/moi TÊN CƠ QUAN [officer|manager|admin] [duyet]` (admins): a link bound to that agency and
  role, valid 30 days, for as many people as open it. Opening it (Telegram sends "/start CODE")
  files the join request with the agency filled in; with `duyet` the admin approved in advance
  and the account joins at once. Channels without deep links use "/start CODE" typed by hand.
- The command menu per role: officers never see /import or /moi; managers see /baocao and
  /lienket; admins see everything. Channels publish it per chat for managers and admins at
  start, and again for an account as soon as it joins or is approved (`Router.changed_menus`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.address import Address
from bot.core.domain import Role
from bot.core.i18n import _, use_language
from bot.core.markup import esc
from bot.core.replies import Reply
from bot.core.text import fold
from handlers import access
from handlers.commands import Command
from handlers.help import help_reply, menu_of

if TYPE_CHECKING:
    from handlers.context import AppContext
    from handlers.conversation import Conversation, Turn

_ROLE_WORDS = {
    "officer": Role.OFFICER,
    "canbo": Role.OFFICER,
    "manager": Role.MANAGER,
    "lanhdao": Role.MANAGER,
    "admin": Role.ADMIN,
    "quantri": Role.ADMIN,
}
_AUTO_WORDS = {"duyet", "duyetngay", "auto", "ngay"}
LANGUAGES = ("vi", "en")


# -- /id --------------------------------------------------------------------------------------


def my_id(turn: Turn) -> list[Reply]:
    req = turn.req
    blocks = [
        _("Mã tài khoản của bạn: {account}").format(account=f"<code>{esc(req.account)}</code>"),
        _("Quản trị viên hệ thống ghi mã này vào NHACVIEC_ADMINS (ví dụ NHACVIEC_ADMINS={account}).").format(
            account=esc(req.account)
        ),
    ]
    if req.chat_type == "group":
        blocks.append(
            _("Mã nhóm này: {chat}").format(chat=f"<code>{esc(req.channel)}:{esc(req.chat_id)}</code>")
        )
    return [Reply(blocks)]


# -- /moi -------------------------------------------------------------------------------------


def parse_invite_args(args: str) -> tuple[str, Role, bool]:
    """ "Sở Tư pháp officer duyet" → ("Sở Tư pháp", Role.OFFICER, True); the role defaults to officer."""
    words = args.split()
    auto = False
    role = Role.OFFICER
    if words and fold(words[-1]).replace(" ", "") in _AUTO_WORDS:
        auto = True
        words.pop()
    if words and fold(words[-1]) in _ROLE_WORDS:
        role = _ROLE_WORDS[fold(words.pop())]
    if words and not auto and fold(words[-1]).replace(" ", "") in _AUTO_WORDS:  # "… duyet officer"
        auto = True
        words.pop()
    return " ".join(words).strip(), role, auto


def invite_link(channel: str, bot_username: str, code: str) -> str:
    if channel == "telegram" and bot_username:
        return f"https://t.me/{bot_username}?start={code}"
    return f"/start {code}"


async def create_invite(turn: Turn, bot_username: str) -> list[Reply]:
    if not turn.is_admin:
        return [Reply([_("Chỉ quản trị viên mới tạo được liên kết mời.")])]
    name, role, auto = parse_invite_args(turn.args)
    if not name:
        return [
            Reply(
                [
                    _("Cách dùng: /moi TÊN CƠ QUAN [canbo|lanhdao|quantri] [duyet]"),
                    _("Ví dụ: /moi Sở Tư pháp canbo — thêm “duyet” để người mở liên kết được duyệt ngay."),
                ]
            )
        ]
    directory = await turn.ctx.directory()
    hit = directory.resolve(name)
    if hit.agency_id is None:
        tips = [_("Có phải: {names}?").format(names=esc("; ".join(hit.suggestions)))] if hit.suggestions else []
        return [Reply([_("Không tìm thấy cơ quan “{name}”.").format(name=esc(name[:200])), *tips])]
    invite = await turn.ctx.storage.create_invite(
        hit.agency_id, role, auto_approve=auto, by=turn.req.account, now=turn.ctx.now()
    )
    link = invite_link(turn.req.channel, bot_username, invite.code)
    agency = directory.full_name(hit.agency_id)
    how = (
        _("Người mở liên kết được duyệt ngay.")
        if auto
        else _("Người mở liên kết gửi yêu cầu tham gia; quản trị viên duyệt bằng nút.")
    )
    blocks = [
        _("Liên kết mời vào {agency} (vai trò {role}):").format(agency=f"<b>{esc(agency)}</b>", role=role.label),
        esc(link),
        how,
    ]
    expires = invite.expires_at.astimezone(turn.ctx.settings.tz).strftime("%d/%m/%Y")
    if link.startswith("https://"):
        blocks.append(
            _("Hết hạn ngày {date}. Trên Zalo, người được mời gõ: /start {code}").format(
                date=expires, code=invite.code
            )
        )
    else:
        blocks.append(_("Hết hạn ngày {date}.").format(date=expires))
    return [Reply(blocks)]


async def start_with_code(turn: Turn, conv: Conversation, code: str) -> list[Reply] | None:
    """ "/start CODE" from an invite link; None when CODE is no invite (the usual /start follows)."""
    if turn.req.chat_type == "group" or len(code) > 64 or " " in code:
        return None
    st = turn.ctx.storage
    invite = await st.invite(code)
    if invite is None:
        return None
    if invite.expires_at < turn.ctx.now():
        return [Reply([_("Liên kết mời này đã hết hạn. Hãy xin quản trị viên một liên kết mới.")])]
    if turn.approved:
        return [Reply([_("Bạn đã là thành viên.")]), help_reply()]
    directory = await turn.ctx.directory()
    if invite.agency_id not in directory:
        return [Reply([_("Liên kết mời này không còn hiệu lực.")])]
    agency = directory.full_name(invite.agency_id)
    await st.count_invite_use(code)
    await conv.state.stop_waiting(turn.req.account)
    if not invite.auto_approve or access.is_pending(turn):
        # A request naming the invite's role, for an admin to approve: an invite never raises a
        # pending account's role by itself, and replaces its earlier request (issue 23).
        replies = await access.join_chosen(turn, conv, str(invite.agency_id), role=invite.role, invited=True)
        for reply in replies:
            if reply.to is not None:
                reply.blocks.append(_("(qua liên kết mời, vai trò {role})").format(role=Role(invite.role).label))
        return replies
    await st.upsert_user(
        turn.req.account,
        agency_id=invite.agency_id,
        role=invite.role,
        approved=True,
        active=True,
        name=turn.req.display_name[:200],
    )
    replies = [
        Reply(
            [
                _("Chào mừng! Bạn đã tham gia {agency} với vai trò {role}.").format(
                    agency=f"<b>{esc(agency)}</b>", role=Role(invite.role).label
                )
            ]
        ),
        help_reply(),
    ]
    creator = await st.user(invite.created_by)
    with use_language(creator.language if creator else "vi"):
        replies.append(
            Reply(
                [
                    _("{who} ({account}) đã tham gia {agency} qua liên kết mời.").format(
                        who=esc(turn.req.display_name or turn.req.account),
                        account=esc(turn.req.account),
                        agency=esc(agency),
                    )
                ],
                to=invite.created_by,
            )
        )
    return replies


# -- command menus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Menu:
    """One setMyCommands: `chat_id` None is everybody's default; `language` "vi" is the default."""

    chat_id: str | None
    language: str
    commands: list[tuple[str, str]]


def commands_for(role: Role) -> list[tuple[str, str]]:
    """The menu of a role, in the current language."""
    return menu_of(role)


async def command_menus(ctx: AppContext, channel: str) -> list[Menu]:
    """Everybody's menu (an officer's), then one per private chat of a manager or an admin."""
    roles: dict[str, Role] = {}
    for address in ctx.settings.admins:
        if address.channel == channel:
            roles[address.id] = Role.ADMIN
    for user in await ctx.storage.users():
        if user.channel != channel or not (user.approved and user.active) or user.role == Role.OFFICER:
            continue
        if roles.get(user.account_id) is not Role.ADMIN:
            roles[user.account_id] = user.role
    menus = []
    for language in LANGUAGES:
        with use_language(language):
            menus.append(Menu(None, language, commands_for(Role.OFFICER)))
            menus += [Menu(account, language, commands_for(role)) for account, role in roles.items()]
    return menus


async def account_menus(ctx: AppContext, address: Address) -> list[Menu]:
    """The menus of one account's private chat after its role changed (joined, approved)."""
    account = address.id
    user = await ctx.storage.user(address)
    if address in ctx.settings.admins:
        role = Role.ADMIN
    elif user is not None and user.approved and user.active:
        role = user.role
    else:
        return []
    menus = []
    for language in LANGUAGES:
        with use_language(language):
            menus.append(Menu(account, language, commands_for(role)))
    return menus


COMMANDS = (
    Command("moi", lambda t, c: create_invite(t, t.req.bot_username), lambda: _("Tạo liên kết mời cán bộ (quản trị)"),
            ("invite",), Role.ADMIN),
    Command("id", lambda t, c: _answer(my_id(t)), lambda: _("Mã tài khoản của tôi"), ("myid", "ma"), None),
)


async def _answer(replies: list[Reply]) -> list[Reply]:
    return replies
