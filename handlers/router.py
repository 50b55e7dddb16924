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
    extensions,
    import_chat,
    onboarding,
    results_chat,
    tasks_cmds,
    waits,
)
from handlers.catalog import ALIASES, BUTTONS, BY_NAME
from handlers.commands import Wait, yes_or_no
from handlers.context import AppContext
from handlers.conversation import CONFIRM, Choices, Conversation, Turn, confirmed_action
from handlers.help import help_reply
from handlers.requests import Request
from storage.users import UserRecord

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # a 10,000-character message is read only this far

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
        shown = await self.conv.state.choices(old)
        if shown is not None and shown.live:
            await self.conv.state.show_buttons(new, shown.buttons, prompt=shown.prompt)

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
                                reply.to or chat,
                                [b for row in reply.buttons for b in row],
                                prompt=turn.command if reply.to is None else None,
                                proposal=reply.proposal,
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
        shown = await self.conv.state.choices(chat) if req.callback is None else None
        if shown is not None and shown.live and shown.proposal and (answer := yes_or_no(req.text)) is not None:
            req.callback = shown.buttons[0 if answer else -1].data  # "có" / "không" to an open proposal
        if req.callback is None and _is_number(req.text):
            if shown is not None and not shown.live:
                return [_stale(shown.prompt)]
            if shown is not None:
                number = int(req.text.strip().rstrip("."))
                if not 1 <= number <= len(shown.buttons):
                    return [Reply([_("Hãy gõ một số từ 1 đến {n}.").format(n=len(shown.buttons))])]
                req.callback = shown.buttons[number - 1].data
        if req.callback is not None or (shown is not None and shown.live):  # (read above: else none is live)
            await self.conv.state.void_choices(chat)  # any other message or press: the list is old
        if req.callback is not None:
            return await self._callback(turn, req.callback)

        if req.kind != "text" and not req.text.strip() and req.file_name is None:
            if req.chat_type == "group" and not req.mentioned:
                return []  # a sticker in a group is not the bot's business
            return [Reply([_("Nhắc Việc chỉ đọc tin nhắn chữ. Hãy gõ câu hỏi hoặc lệnh, ví dụ /help.")])]
        command, args = _split_command(req.text, req.bot_username)
        turn.args, turn.command = args, command
        if req.chat_type == "group" and command is None and not req.mentioned:
            return []  # groups: only commands, mentions and buttons (a shared file is not an import)
        if command is not None:
            return await self._command(turn, command)
        if (social := self._social_turn(turn, shown)) is not None:
            return social
        waiting = await self.conv.state.waiting(req.account)
        if waiting is not None and waiting[0] in waits.FREE_TEXT_WAITS:
            if (replies := await waits.during_wait(turn, self.conv, waiting)) is not None:
                return replies
        if req.file_name is not None:
            return await import_chat.on_import(turn, self.conv)
        if waiting is not None:
            if waiting[0] is Wait.JOIN_AGENCY:
                return await access.agency_typed(turn, self.conv)
            elif waiting[0] is Wait.IMPORT_FACTS:
                return await import_chat.facts_typed(turn, self.conv, waiting[1])
            elif waiting[0] is Wait.IMPORT_MATCH:
                return await import_chat.matches_typed(turn, self.conv, waiting[1])
        if not turn.approved:
            return await access.not_approved(turn, self.conv)
        if extensions.asks_for_extension(req.text):
            return await extensions.menu(turn)
        if not req.text.strip():
            return [help_reply()]
        return await tasks_cmds.question(turn)

    async def _command(self, turn: Turn, name: str) -> list[Reply]:
        """A command ends any wait of the account and runs (its least role checked by the handler
        with that role's own sentence; approval here)."""
        req = turn.req
        found = BY_NAME.get(name)
        if found is None:
            return [Reply([_("Không có lệnh /{command}.").format(command=esc(name))]), help_reply()]
        if found.name == "start" and turn.args:
            invited = await onboarding.start_with_code(turn, self.conv, turn.args)
            if invited is not None:
                self._menus_changed.add(req.account)
                return invited
        if found.name == "xong" and req.file_name is not None and turn.approved:
            return await results_chat.done_with_file(turn, self.conv)  # the file waits for its task
        if req.file_name is not None and found.role is not None:
            return await import_chat.on_import(turn, self.conv)
        await self.conv.state.stop_waiting(req.account)
        if found.role is not None and found.name != "import" and not turn.approved:
            return await access.not_approved(turn, self.conv)
        return await found.handler(turn, self.conv)

    def _social_turn(self, turn: Turn, shown: Choices | None) -> list[Reply] | None:
        """Thanks, goodbyes and greetings of an approved account get their short reply, and never
        become a note, a reason or an agency name (a wait stays open); an acknowledgement ("ok",
        "vâng") too, unless a choice is shown (a proposal's yes or no is the conversation's)."""
        if not turn.approved or turn.req.file_name is not None:
            return None
        kind = social_turn(fold(turn.req.text))
        if kind is None or (kind == "ack" and shown is not None and shown.live):
            return None
        return [Reply(social_reply(kind))]

    async def _callback(self, turn: Turn, data: str) -> list[Reply]:
        prefix, _sep, rest = data.partition(":")
        if prefix == CONFIRM.prefix:
            decided = await confirmed_action(turn, self.conv, rest)
            if decided is None:
                return [Reply([_("Câu hỏi xác nhận này đã cũ; chưa làm gì cả. Hãy gõ lại lệnh.")])]
            if not decided[0]:
                return [Reply([_("Đã huỷ; không thay đổi gì.")])]
            turn.confirmed = True
            data = decided[1]
            prefix, _sep, rest = data.partition(":")
        entry = BUTTONS.get(prefix)
        if entry is None:
            return [Reply([_("Nút này đã hết hiệu lực.")])]
        if not entry.public and not turn.approved:
            return await access.not_approved(turn, self.conv)
        replies = await entry.handler(turn, self.conv, rest)
        if prefix in (access.APPROVE_JOIN.prefix, access.REJECT_JOIN.prefix):
            self._menus_changed.update(r.to for r in replies if r.to)  # the account decided on
        return replies


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


def _stale(prompt: str | None) -> Reply:
    """A number for a list that is no longer the latest, or too old: one sentence, no action."""
    if prompt and prompt in BY_NAME:
        return Reply([_("Danh sách này đã cũ — gõ lại /{command}.").format(command=prompt)])
    return Reply([_("Danh sách này đã cũ; chưa làm gì cả. Hãy gõ lại lệnh hoặc câu hỏi.")])
