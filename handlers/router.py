"""The chat brain shared by every channel: one `Request` in, the replies to send out.

Decisions written down here:
- Access: an unknown account gets an introduction and may ask to join by typing its agency;
  until an admin approves it sees no task. Admins are `NHACVIEC_ADMINS` or users with role admin.
- Buttons and numbered choices are the same thing: every reply's buttons are remembered per
  chat, so a channel without inline buttons (Zalo, the console) shows them as "1. …, 2. …" and
  a reply of "1" presses the first one.
- Conversation state (waiting for an agency name, an /import file, plan facts) lives in
  memory: after a restart the user simply starts the step again; nothing stored is lost.
- In groups the bot answers only commands, mentions and its own buttons.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.channels.base import Outbox
from bot.i18n import _, use_language
from handlers import access, import_chat, settings_cmds, tasks_cmds
from handlers.context import AppContext
from handlers.conversations import ChatState, PendingImports
from handlers.replies import Button, Reply, Request, esc
from storage.db import UserRecord

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # a 10,000-character message is read only this far

# Vietnamese command first, then English aliases.
COMMANDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "batdau"),
    "help": ("help", "trogiup", "huongdan"),
    "viec": ("viec", "tasks", "mytasks"),
    "quahan": ("quahan", "overdue"),
    "sapden": ("sapden", "soon", "duesoon"),
    "xong": ("xong", "done"),
    "baocao": ("baocao", "report", "digest"),
    "nhacnho": ("nhacnho", "reminders", "remind"),
    "import": ("import", "nhap"),
    "lang": ("lang", "ngonngu", "language"),
    "lienket": ("lienket", "link"),
    "huy": ("huy", "cancel"),
}
ALIASES = {alias: name for name, aliases in COMMANDS.items() for alias in aliases}


def command_descriptions() -> list[tuple[str, str]]:
    """For /help and Telegram's setMyCommands (in the current language)."""
    return [
        ("viec", _("Việc của tôi")),
        ("quahan", _("Việc quá hạn")),
        ("sapden", _("Việc sắp đến hạn (7 ngày tới)")),
        ("xong", _("Đánh dấu một việc đã xong")),
        ("baocao", _("Báo cáo tổng hợp (lãnh đạo)")),
        ("nhacnho", _("Cài đặt nhắc việc của tôi")),
        ("import", _("Nhập kế hoạch (quản trị)")),
        ("lienket", _("Liên kết nhóm chat với cơ quan")),
        ("lang", _("Đổi ngôn ngữ (vi/en)")),
        ("help", _("Hướng dẫn")),
        ("start", _("Bắt đầu")),
    ]


@dataclass
class Turn:
    """One request being handled, with who sent it."""

    ctx: AppContext
    req: Request
    user: UserRecord | None
    is_admin: bool
    args: str = ""

    @property
    def approved(self) -> bool:
        return self.is_admin or bool(self.user and self.user.approved)

    @property
    def language(self) -> str:
        return self.user.language if self.user else "vi"


class Router:
    """Channel-agnostic handling of every message and button press."""

    def __init__(self, ctx: AppContext, *, bot_username: str = "") -> None:
        self.ctx = ctx
        self.state = ChatState(ctx.storage, ctx.now)  # in the database: survives restarts, shared
        self.bot_username = bot_username
        self.imports = PendingImports(ctx.storage, ctx.now)
        self.outbox: Outbox | None = None  # set by `nhacviec run`: delivers replies addressed to other chats

    async def is_admin(self, address: str, user: UserRecord | None) -> bool:
        if address in self.ctx.settings.admins:
            return True
        return bool(user and user.approved and user.active and user.role == "admin")

    async def handle(self, req: Request) -> list[Reply]:
        """Never raises for bad input; an unexpected error is logged and answered with an apology."""
        req.text = (req.text or "")[:MAX_TEXT]
        user = await self.ctx.storage.user(req.account)
        turn = Turn(self.ctx, req, user, await self.is_admin(req.account, user))
        with use_language(turn.language):
            try:
                replies = await self._dispatch(turn)
            except Exception:
                log.exception("error handling %s from %s", (req.text or req.callback or "")[:80], req.account)
                replies = [Reply([_("Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.")])]
        chat = f"{req.channel}:{req.chat_id}"
        for reply in replies:
            if reply.buttons:  # remembered where they are shown, so "1" there presses the first
                await self.state.show_buttons(reply.to or chat, [b for row in reply.buttons for b in row])
        return replies

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        req = turn.req
        chat = f"{req.channel}:{req.chat_id}"
        if req.callback is None:
            choice = (
                _numbered_choice(req.text, await self.state.buttons(chat)) if _is_number(req.text) else None
            )
            if choice is not None:
                req.callback = choice.data
        if req.callback is not None:
            return await self._callback(turn, req.callback)

        command, args = _split_command(req.text, self.bot_username)
        turn.args = args
        if req.chat_type == "group" and command is None and not req.mentioned:
            return []  # groups: only commands, mentions and buttons (a shared file is not an import)
        if command == "huy":
            await self.state.stop_waiting(req.account)
            return [Reply([_("Đã huỷ.")])]
        if command in ("start", "help"):
            return await access.start(turn, self) if command == "start" else [help_reply(turn)]
        if command == "lang":
            return await settings_cmds.language(turn)
        if req.file_name is not None or command == "import":
            return await import_chat.on_import(turn, self)

        waiting = await self.state.waiting(req.account) if command is None else None
        if command is None and waiting is not None:
            what, data = waiting
            if what == "join_agency":
                return await access.agency_typed(turn, self)
            if what == "import_facts":
                return await import_chat.facts_typed(turn, self, data)

        if not turn.approved:
            return await access.not_approved(turn, self)
        if command == "viec":
            return await tasks_cmds.my_tasks(turn, status=None)
        if command == "quahan":
            return await tasks_cmds.my_tasks(turn, status="overdue")
        if command == "sapden":
            return await tasks_cmds.my_tasks(turn, status="due_soon")
        if command == "xong":
            return await tasks_cmds.done_menu(turn)
        if command == "baocao":
            return await tasks_cmds.report(turn)
        if command == "nhacnho":
            return await settings_cmds.reminders(turn)
        if command == "lienket":
            return await settings_cmds.link_group(turn)
        if command is not None:
            return [Reply([_("Không có lệnh /{command}.").format(command=esc(command))]), help_reply(turn)]
        if not req.text.strip():
            return [help_reply(turn)]
        return await tasks_cmds.question(turn)

    async def _callback(self, turn: Turn, data: str) -> list[Reply]:
        kind, _sep, rest = data.partition(":")
        if kind == "join":
            return await access.join_chosen(turn, self, rest)
        if kind in ("ap", "rj"):
            return await access.decide(turn, self, approve=kind == "ap", payload=rest)
        if kind == "imp":
            return await import_chat.on_button(turn, self, rest)
        if kind == "lang":
            turn.args = rest
            return await settings_cmds.language(turn)
        if not turn.approved:
            return await access.not_approved(turn, self)
        if kind == "done":
            return await tasks_cmds.mark_done(turn, rest)
        return [Reply([_("Nút này đã hết hiệu lực.")])]


def help_reply(turn: Turn) -> Reply:
    lines = ["<b>" + _("Nhắc Việc — các lệnh") + "</b>"]
    lines += [f"/{name} — {esc(text)}" for name, text in command_descriptions()]
    lines.append("")
    lines.append(_("Hoặc hỏi bằng lời, ví dụ:"))
    lines += [f"• {esc(x)}" for x in examples()]
    return Reply(lines)


def examples() -> list[str]:
    return [
        _("việc của Văn phòng Sở tháng này"),
        _("Sở Tư pháp có việc gì quá hạn?"),
        _("ai chủ trì chữ ký số?"),
    ]


_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@(\S+))?\s*(.*)$", re.DOTALL)


def _split_command(text: str, bot_username: str) -> tuple[str | None, str]:
    """ "/viec@NhacViecBot tháng này" → ("viec", "tháng này"); unknown commands keep their name."""
    match = _COMMAND.match(text.strip())
    if not match:
        return None, text
    name, target, args = match.group(1).lower(), match.group(2), match.group(3).strip()
    if target and bot_username and target.lower() != bot_username.lower():
        return None, ""  # a command for another bot in the group
    return ALIASES.get(name, name), args


def _is_number(text: str) -> bool:
    return text.strip().rstrip(".").isdigit()


def _numbered_choice(text: str, buttons: list[Button] | None) -> Button | None:
    """ "2" after a reply with buttons means the second button (channels without buttons)."""
    if not buttons:
        return None
    stripped = text.strip().rstrip(".")
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1]
    return None
