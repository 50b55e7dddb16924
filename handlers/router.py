"""The chat brain shared by every channel: one `Request` in, the replies to send out.

Decisions written down here:
- Access: an unknown account gets an introduction and may ask to join by typing its agency;
  until an admin approves it sees no task. Admins are `NHACVIEC_ADMINS` or users with role admin.
- Buttons and numbered choices are the same thing: every reply's buttons are remembered per
  chat, so a channel without inline buttons (Zalo, the console) shows them as "1. …, 2. …" and
  a reply of "1" presses the first one.
- Conversation state (what the bot waits for, the choices it offered, an import preview with
  its file) is kept in the database with an expiry (`handlers/conversation.py`): it survives a
  restart, and any worker can take the next message.
- In groups the bot answers only commands, mentions and its own buttons.
"""

from __future__ import annotations

import logging
import re
import secrets

from bot.core.address import Address
from bot.core.domain import Role, UserError
from bot.core.i18n import _, use_language
from bot.core.lang.answers import social_reply
from bot.core.lang.social import social_turn
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.core.text import fold
from bot.delivery.ports import Outbox
from handlers import (
    access,
    dashboard,
    extensions,
    first_run,
    import_chat,
    onboarding,
    plans_cmds,
    results_chat,
    settings_cmds,
    tasks_cmds,
)
from handlers.context import AppContext
from handlers.conversation import Conversation, Turn
from handlers.help import help_reply
from handlers.requests import Request
from storage.users import UserRecord

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
    "kehoach": ("kehoach", "plans"),
    "chuaxong": ("chuaxong", "undone", "hoantac"),
    "dangthuchien": ("dangthuchien", "dang", "progress"),
    "xuat": ("xuat", "export"),
    "giahan": ("giahan", "extend", "extension"),
    "demo": ("demo", "mau"),
    "id": ("id", "myid", "ma"),
    "moi": ("moi", "invite"),
    "web": ("web", "trang", "dashboard"),
}
_ASK_EXTENSION = {"xin gia han", "gia han", "toi muon xin gia han", "xin gia han thoi han"}
ALIASES = {alias: name for name, aliases in COMMANDS.items() for alias in aliases}


class Router:
    """Channel-agnostic handling of every message and button press."""

    def __init__(self, ctx: AppContext, *, outbox: Outbox | None = None) -> None:
        self.ctx = ctx
        self.conv = Conversation.of(ctx.storage, ctx.now)  # in the database: survives restarts, shared
        # Delivers replies addressed to other chats and progress notes (`nhacviec run` gives it;
        # a router without one, like the console's, answers only in the chat of the request).
        self.outbox = outbox
        self._menus_changed: set[Address] = set()  # accounts whose command menu follows a new role

    async def is_admin(self, address: Address, user: UserRecord | None) -> bool:
        if address in self.ctx.settings.admins:
            return True
        return bool(user and user.approved and user.active and user.role == Role.ADMIN)

    # -- what channel adapters report; they never touch storage themselves -------------------

    async def account_blocked(self, address: Address) -> None:
        """The account blocked the bot or removed it from a group: stop writing there."""
        await self.ctx.storage.deactivate(address)

    async def account_back(self, address: Address) -> None:
        """An account marked inactive (it had blocked the bot) writes or unblocks again."""
        user = await self.ctx.storage.user(address)
        if user is not None and not user.active:
            await self.ctx.storage.upsert_user(address, active=True)

    async def language_of(self, address: Address) -> str:
        """The language to answer an account in outside a turn (an apology, an unsupported message)."""
        user = await self.ctx.storage.user(address)
        return user.language if user else "vi"

    async def webhook_secret(self, channel: str) -> str:
        """The secret every pushed update of `channel` must carry: the configured one, else one
        generated once and kept in the database, so every process behind the webhook shares it."""
        configured = {
            "telegram": self.ctx.settings.telegram_webhook_secret,
            "zalo": self.ctx.settings.zalo_webhook_secret,
        }.get(channel)
        if configured and configured.strip():
            return configured.strip()
        return await self.ctx.storage.shared_value(f"{channel}_webhook_secret", lambda: secrets.token_urlsafe(32))
    async def command_menus(self, channel: str) -> list[onboarding.Menu]:
        """The command menus a channel publishes: everybody's, and managers' and admins' own."""
        return await onboarding.command_menus(self.ctx, channel)

    async def changed_menus(self, channel: str) -> list[onboarding.Menu]:
        """Menus of the accounts that joined or were approved since the last call (on `channel`)."""
        mine = {a for a in self._menus_changed if a.channel == channel}
        self._menus_changed -= mine
        menus: list[onboarding.Menu] = []
        for address in sorted(mine):
            menus += await onboarding.account_menus(self.ctx, address)
        return menus

    async def chat_moved(self, old: Address, new: Address) -> None:
        """A chat got a new address (a Telegram group upgraded to a supergroup): links follow it."""
        if await self.ctx.storage.move_chat(old, new):
            log.info("chat %s moved to %s; its link and reminders follow", old, new)
        buttons = await self.conv.state.buttons(old)
        if buttons:
            await self.conv.state.show_buttons(new, buttons)

    async def buttons_shown(self, address: Address, buttons: list[Button]) -> None:
        """A reply with buttons reached a chat outside a turn (a join request, a reminder): a later
        "1", "2" there presses them."""
        if buttons:
            await self.conv.state.show_buttons(address, buttons)

    async def handle(self, req: Request) -> list[Reply]:
        """Never raises for bad input or a failing database. One error boundary covers the whole
        turn — reading the account, the handler's reads and writes, remembering the buttons shown —
        so a fault gives its one sentence (full disk, read-only, locked, vanished) and the next
        turn starts afresh (a database that recovered is simply used again)."""
        req.text = (req.text or "")[:MAX_TEXT]
        language = "vi"
        with use_language(language):
            try:
                user = await self.ctx.storage.user(req.account)
                turn = Turn(self.ctx, req, user, await self.is_admin(req.account, user), outbox=self.outbox)
                language = turn.language
                with use_language(language):
                    replies = await self._dispatch(turn)
                    chat = req.chat
                    for reply in replies:
                        if reply.buttons:  # remembered where they are shown, so "1" there presses the first
                            await self.conv.state.show_buttons(
                                reply.to or chat, [b for row in reply.buttons for b in row]
                            )
            except UserError as exc:  # the database is full, unreachable…: one sentence, logged
                log.warning("could not handle a request from %s: %s", req.account, exc)
                replies = [Reply([esc(str(exc))])]
            except Exception:
                log.exception("error handling %s from %s", (req.text or req.callback or "")[:80], req.account)
                with use_language(language):
                    replies = [Reply([_("Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.")])]
        return replies

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        req = turn.req
        chat = req.chat
        if req.callback is None:
            choice = (
                _numbered_choice(req.text, await self.conv.state.buttons(chat)) if _is_number(req.text) else None
            )
            if choice is not None:
                req.callback = choice.data
        if req.callback is not None:
            return await self._callback(turn, req.callback)

        if req.kind != "text" and not req.text.strip() and req.file_name is None:
            if req.chat_type == "group" and not req.mentioned:
                return []  # a sticker in a group is not the bot's business
            return [Reply([_("Nhắc Việc chỉ đọc tin nhắn chữ. Hãy gõ câu hỏi hoặc lệnh, ví dụ /help.")])]
        command, args = _split_command(req.text, req.bot_username)
        turn.args = args
        if req.chat_type == "group" and command is None and not req.mentioned:
            return []  # groups: only commands, mentions and buttons (a shared file is not an import)
        if command is None and (social := await self._social_turn(turn, chat)) is not None:
            return social
        if command == "huy":
            await self.conv.state.stop_waiting(req.account)
            return [Reply([_("Đã huỷ.")])]
        if command == "id":
            return onboarding.my_id(turn)
        if command == "start" and args:
            invited = await onboarding.start_with_code(turn, self.conv, args)
            if invited is not None:
                self._menus_changed.add(req.account)
                return invited
        if command in ("start", "help"):
            return await access.start(turn, self.conv) if command == "start" else [help_reply()]
        if command == "lang":
            return await settings_cmds.language(turn)
        # A note or file after /xong, a progress note, an extension's date and reason (issue 17).
        follow_up = await self.conv.state.waiting(req.account) if command is None else None
        if follow_up is not None and follow_up[0] in results_chat.WAITS:
            if (replies := await results_chat.evidence(turn, self.conv, follow_up)) is not None:
                return replies
        elif follow_up is not None and follow_up[0] in extensions.WAITS:
            if (replies := await extensions.typed(turn, self.conv, follow_up)) is not None:
                return replies
        if command == "xong" and req.file_name is not None and turn.approved:
            return await results_chat.done_with_file(turn, self.conv)
        if command == "demo":
            return await first_run.load_demo(turn)
        if req.file_name is not None or command == "import":
            return await import_chat.on_import(turn, self.conv)

        waiting = await self.conv.state.waiting(req.account) if command is None else None
        if command is None and waiting is not None:
            what, data = waiting
            if what == "join_agency":
                return await access.agency_typed(turn, self.conv)
            if what == "import_facts":
                return await import_chat.facts_typed(turn, self.conv, data)
            if what == "import_match":
                return await import_chat.matches_typed(turn, self.conv, data)

        if not turn.approved:
            return await access.not_approved(turn, self.conv)
        if command == "viec":
            return await tasks_cmds.my_tasks(turn, status=None)
        if command == "quahan":
            return await tasks_cmds.my_tasks(turn, status="overdue")
        if command == "sapden":
            return await tasks_cmds.my_tasks(turn, status="due_soon")
        if command == "xong":
            return await tasks_cmds.done_menu(turn)
        if command == "baocao":
            return await tasks_cmds.report_command(turn)
        if command == "nhacnho":
            return await settings_cmds.reminders(turn)
        if command == "lienket":
            return await settings_cmds.link_group(turn)
        if command == "kehoach":
            return await plans_cmds.plans(turn)
        if command == "giahan" or (command is None and fold(req.text).strip(" .!?") in _ASK_EXTENSION):
            return await extensions.menu(turn)
        if command == "xuat":
            from handlers.export import export_command

            return await export_command(turn)
        if command == "chuaxong":
            return await results_chat.undo_menu(turn)
        if command == "dangthuchien":
            return await results_chat.progress_menu(turn)
        if command == "moi":
            return await onboarding.create_invite(turn, turn.req.bot_username)
        if command == "web":
            return await dashboard.web_command(turn)
        if command is not None:
            return [Reply([_("Không có lệnh /{command}.").format(command=esc(command))]), help_reply()]
        if not req.text.strip():
            return [help_reply()]
        return await tasks_cmds.question(turn)

    async def _social_turn(self, turn: Turn, chat: Address) -> list[Reply] | None:
        """Thanks, goodbyes and greetings of an approved account get their short reply, and never
        become a note, a reason or an agency name (a wait stays open); an acknowledgement ("ok",
        "vâng") too, unless a choice is shown (a proposal's yes or no is the conversation's)."""
        if not turn.approved or turn.req.file_name is not None:
            return None
        kind = social_turn(fold(turn.req.text))
        if kind is None or (kind == "ack" and await self.conv.state.buttons(chat)):
            return None
        return [Reply(social_reply(kind))]

    async def _callback(self, turn: Turn, data: str) -> list[Reply]:
        kind, _sep, rest = data.partition(":")
        if kind == "join":
            return await access.join_chosen(turn, self.conv, rest)
        if kind in ("ap", "rj"):
            replies = await access.decide_join(turn, self.conv, approve=kind == "ap", payload=rest)
            self._menus_changed.update(r.to for r in replies if r.to)  # the account decided on
            return replies
        if kind == "imp":
            return await import_chat.on_preview_button(turn, self.conv, rest)
        if kind == "lang":
            turn.args = rest
            return await settings_cmds.language(turn)
        if not turn.approved:
            return await access.not_approved(turn, self.conv)
        if kind == "done":
            return await results_chat.on_done_button(turn, self.conv, rest)
        if kind == "undo":
            return await results_chat.on_undo_button(turn, rest)
        if kind == "prog":
            return await results_chat.on_progress_button(turn, self.conv, rest)
        if kind == "dg":
            return await settings_cmds.digest_button(turn, rest)
        if kind == "ext":
            return await extensions.chosen(turn, self.conv, rest)
        if kind in ("xa", "xr"):
            return await extensions.decide_extension(turn, self.conv, approve=kind == "xa", payload=rest)
        if kind == "plan":
            return await plans_cmds.on_plan_button(turn, rest)
        return [Reply([_("Nút này đã hết hiệu lực.")])]


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
    """Only ASCII digits choose ("²", "①", "١", "𝟏" are text, never a button)."""
    stripped = text.strip().rstrip(".")
    return stripped.isascii() and stripped.isdigit() and len(stripped) <= 3


def _numbered_choice(text: str, buttons: list[Button] | None) -> Button | None:
    """ "2" after a reply with buttons means the second button (channels without buttons)."""
    if not buttons:
        return None
    stripped = text.strip().rstrip(".")
    if _is_number(stripped) and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1]
    return None
