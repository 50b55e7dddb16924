"""The Telegram channel: python-telegram-bot v22 in front of the channel-agnostic `Router`.

Why it looks the way it does:
- The adapter only translates: an update becomes a `Request`, each `Reply` becomes one or more
  Bot API calls. Every decision about *what* to say lives in `handlers/`.
- Updates of different chats run concurrently, but one chat's updates are handled in order
  (a lock per chat), so "/import" followed by the file, or a question typed right after a
  button press, never overtake each other.
- Sending goes through PTB's `AIORateLimiter` (≈30 messages/s overall, 20/min per group,
  honours a 429's retry_after a few times); on top, `send` retries short network failures,
  turns 403 into "stop writing to this account" and reports everything else as `DeliveryError`
  so the reminder tick can decide what to do.
- The bot token is part of every Bot API URL: nothing here logs URLs, the `httpx` logger is kept
  at WARNING, and PTB's "token rejected" error (which quotes the token) is replaced.
- Webhook mode (issue 30) is PTB's documented "custom webhook server": the process's own web
  server (`bot.web`) receives the POST, `webhook_endpoint().accept` keeps the update in the
  inbox before the 200, and the inbox (`handlers.inbox`) later hands it back to
  `handle_stored`, which rebuilds it with `Update.de_json` and runs `Application.process_update`
  — once, in its chat's order, on whichever worker holds the chat. PTB's own webhook server
  (tornado, acknowledging before handling) is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.channels.base import ApiHealth, ChatLocks, deliver_turn
from bot.core.address import Address
from bot.core.domain import ImportRefused
from bot.core.i18n import _, use_language
from bot.core.markup import plain_text, split_blocks
from bot.core.redact import Redactor, install_on_loggers
from bot.core.reminders.backoff import Backoff
from bot.core.replies import Reply
from bot.delivery.ports import DeliveryError
from handlers.inbox import NotAnUpdate, WebhookEndpoint
from handlers.requests import Request

if TYPE_CHECKING:
    from bot.settings import Settings
    from handlers.inbox import InboxWorker
    from handlers.router import Router

log = logging.getLogger(__name__)

T = TypeVar("T")

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_TIMEOUT = 25  # seconds a getUpdates long poll waits on the server
NETWORK_RETRIES = 2  # extra attempts of getMe at start-up after a network error
SEND_RETRIES = Backoff.quick()  # inside one send: only for requests that surely did not arrive
RECONNECT = Backoff.reconnect()  # getMe at start-up after a network error
CONCURRENT_UPDATES = 16
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_CHAT_HOLDERS = ("message", "edited_message", "channel_post", "edited_channel_post", "my_chat_member", "chat_member")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_for_telegram(blocks: list[str], limit: int = TEXT_LIMIT) -> list[str]:
    """`split_blocks`, tightened until every part also fits when measured in UTF-16 units."""
    size = limit
    while True:
        parts = split_blocks(blocks, size)
        if size <= 256 or all(utf16_len(p) <= limit for p in parts):
            return parts
        size -= 256


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons if row]
    )


def telegram_chat_id(chat_id: str | int) -> int | str:
    """ "123" / "-100…" → int (what the Bot API and PTB's rate limiter expect); "@name" stays a string."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def retry_after_seconds(error: RetryAfter) -> float:
    """PTB 22 gives `retry_after` as int seconds (timedelta once PTB_TIMEDELTA is on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def hide_token_in_logs(token: str) -> None:
    """Keep httpx quiet (it logs every URL at INFO) and redact the token in PTB's and httpx's loggers."""
    for noisy in ("httpx", "httpcore"):
        if logging.getLogger(noisy).getEffectiveLevel() < logging.WARNING:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    names = {"telegram", "telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore"}
    names |= {n for n in logging.root.manager.loggerDict if n.startswith(("telegram", "httpx", "httpcore"))}
    install_on_loggers(Redactor([token]), names)


def update_chat(update: dict[str, Any]) -> str:
    """The chat an update belongs to (the unit of order): its message's chat, a button's message's
    chat (else the person who pressed it), a membership change's chat; "-" for anything else."""
    for holder in _CHAT_HOLDERS:
        chat = (update.get(holder) or {}).get("chat") if isinstance(update.get(holder), dict) else None
        if isinstance(chat, dict) and chat.get("id") is not None:
            return str(chat["id"])
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and chat.get("id") is not None:
            return str(chat["id"])
        sender = query.get("from")
        if isinstance(sender, dict) and sender.get("id") is not None:
            return str(sender["id"])
    return "-"


_OTHER_KINDS = ("sticker", "photo", "voice", "audio", "video", "video_note", "animation", "location", "contact", "poll")


class _ChatMoved(Exception):
    """A send hit ChatMigrated: `_send` moves the chat and sends again."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


def _surely_not_sent(exc: NetworkError) -> bool:
    """True when the request cannot have reached Telegram (connect failed, pool full) or Telegram
    answered with a server error; False when it may have been delivered (a read timeout, a
    connection cut while waiting for the answer)."""
    cause = exc.__cause__
    if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return True
    if cause is None and not isinstance(exc, TimedOut):
        return True  # an HTTP answer: 5xx ("Bad Gateway", "Internal Server Error (500)")
    return False


class TelegramChannel:
    """Long polling (or a webhook when TELEGRAM_WEBHOOK_URL is set) feeding `router.handle`."""

    name = "telegram"

    def __init__(self, settings: Settings, router: Router, *, inbox: InboxWorker | None = None) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        hide_token_in_logs(settings.telegram_bot_token)
        self.settings = settings
        self.router = router
        self.send_rate = settings.telegram_send_rate  # messages a second the limiter lets through
        self.inbox = inbox  # webhook mode: where pushed updates are kept (issue 30)
        self.health = ApiHealth(self.name)
        self.webhook_url = (settings.telegram_webhook_url or "").strip()
        self._bot_id = settings.telegram_bot_token.split(":", 1)[0]
        self._locks = ChatLocks()
        self.app: Application = self._build_application()

    # -- lifecycle ---------------------------------------------------------------------------

    def _build_application(self) -> Application:
        base = self.settings.telegram_api_base_url.rstrip("/")
        app = (
            ApplicationBuilder()
            .token(self.settings.telegram_bot_token or "")
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .request(
                HTTPXRequest(
                    connection_pool_size=32,
                    connect_timeout=10.0,
                    read_timeout=self.settings.nhacviec_send_timeout_seconds,
                    write_timeout=30.0,  # photo uploads
                    pool_timeout=10.0,
                )
            )
            .get_updates_request(
                # PTB adds the long-poll timeout to this read timeout for getUpdates.
                HTTPXRequest(
                    connection_pool_size=2, connect_timeout=10.0, read_timeout=10.0, pool_timeout=5.0
                )
            )
            .rate_limiter(
                # aiolimiter is a leaky bucket: a full bucket plus one period's refill can pass within
                # one window. A bucket of one refilled 28 times a second (TELEGRAM_SEND_RATE) keeps any
                # 1 s at ≤ 29 sends (close to Telegram's 30/s, so 1,000 reminders take ~36 s, not 40)
                # and small group buckets keep any minute under 20 sends per group, so Telegram never
                # says 429.
                AIORateLimiter(
                    overall_max_rate=1,
                    overall_time_period=1 / self.send_rate,
                    group_max_rate=4,
                    group_time_period=15,
                    max_retries=3,
                )
            )
            .concurrent_updates(CONCURRENT_UPDATES)
            .job_queue(None)  # reminders have their own scheduler in `nhacviec run`
            .build()
        )
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & (filters.TEXT | filters.CAPTION | filters.Document.ALL),
                self._on_message,
            )
        )
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE
                & ~filters.CAPTION
                & (
                    filters.Sticker.ALL
                    | filters.PHOTO
                    | filters.VOICE
                    | filters.AUDIO
                    | filters.VIDEO
                    | filters.VIDEO_NOTE
                    | filters.ANIMATION
                    | filters.LOCATION
                    | filters.CONTACT
                    | filters.POLL
                ),
                self._on_other,
            )
        )
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self._on_error)
        return app

    @property
    def username(self) -> str:
        """The bot's @name, known once `start` has met the API (getMe)."""
        try:
            return self.app.bot.username or ""
        except RuntimeError:  # not initialised yet
            return ""

    async def start(self) -> None:
        """Connect, start receiving updates in the background and publish the command menu.

        Webhook mode: the web server must already serve `webhook_endpoint()` (bot.app does it),
        so the first update Telegram pushes after setWebhook finds it listening."""
        await self._initialize()
        await self.app.start()
        updater = self.app.updater
        if updater is None:  # pragma: no cover - the builder always makes one
            raise RuntimeError("python-telegram-bot built no updater")
        if self.webhook_url:
            if self.inbox is None:
                raise RuntimeError("webhook mode needs the process's inbox and web server (bot.app)")
            self.inbox.add_channel(self.name, self.handle_stored)
            await self._set_webhook(await self.router.webhook_secret(self.name))
        else:
            await updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=3,
            )
        await self._publish_commands()

    # -- webhook mode (issue 30) -------------------------------------------------------------

    async def webhook_endpoint(self) -> WebhookEndpoint | None:
        """Where Telegram pushes (the URL's path) and how a pushed update is kept; None when polling."""
        if not self.webhook_url or self.inbox is None:
            return None
        secret = await self.router.webhook_secret(self.name)
        return WebhookEndpoint(self.name, urlparse(self.webhook_url).path or "/", SECRET_HEADER, secret, self.accept)

    async def accept(self, update: dict[str, Any]) -> bool:
        """Keep a pushed update in the inbox: keyed by the bot and its `update_id` (a repeat is
        dropped), ordered by `update_id` within its chat. False for a repeat."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
            raise NotAnUpdate("no update_id")
        assert self.inbox is not None
        chat = f"{self.name}:{update_chat(update)}"
        return await self.inbox.keep(self.name, f"{self._bot_id}:{update_id}", chat, update_id, update)

    async def handle_stored(self, payload: dict[str, Any]) -> None:
        """Run one kept update to the end of its turn (the inbox marks it handled after)."""
        update = Update.de_json(payload, self.app.bot)
        await self.app.process_update(update)

    async def _set_webhook(self, secret: str) -> None:
        """setWebhook with the shared secret; every worker sets the same URL (the balancer's)."""
        for attempt in range(NETWORK_RETRIES + 2):
            try:
                await self.app.bot.set_webhook(
                    url=self.webhook_url,
                    secret_token=secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
                self.health.ok()
                return
            except NetworkError as exc:
                self.health.failed(exc.message)
                if isinstance(exc, BadRequest) or attempt == NETWORK_RETRIES + 1:
                    raise RuntimeError(_("Telegram không nhận webhook: {error}").format(error=exc.message)) from None
                log.warning("setWebhook failed (%s); retrying", exc.message)
                await asyncio.sleep(RECONNECT.delay(attempt + 1))

    async def open_for_sending(self) -> None:
        """Connect without receiving updates (`nhacviec remind` sends once and exits)."""
        await self._initialize()

    async def _initialize(self) -> None:
        """`Application.initialize` (getMe), retried briefly on network errors, never quoting the token."""
        for attempt in range(NETWORK_RETRIES + 2):
            try:
                await self.app.initialize()
                self.health.ok()
                return
            except InvalidToken:
                raise RuntimeError(
                    _("Telegram từ chối TELEGRAM_BOT_TOKEN. Hãy kiểm tra lại token.")
                ) from None
            except NetworkError as exc:
                self.health.failed(exc.message)
                if attempt == NETWORK_RETRIES + 1:
                    raise RuntimeError(
                        _("Không kết nối được Telegram: {error}").format(error=exc.message)
                    ) from None
                log.warning("Telegram not reachable (%s); retrying", exc.message)
                await asyncio.sleep(RECONNECT.delay(attempt + 1))

    async def _publish_commands(self, *, changed_only: bool = False) -> None:
        """setMyCommands per role and language: everybody's menu (an officer's) in Vietnamese (the
        default) and English, then each manager's and admin's private chat; a failure only costs a menu.
        `changed_only`: just the chats of accounts that joined or were approved in the last turn."""
        try:
            if changed_only:
                menus = await self.router.changed_menus(self.name)
            else:
                menus = await self.router.command_menus(self.name)
        except Exception:
            log.exception("could not work out the command menus")
            return
        for menu in menus:
            commands = [BotCommand(name, text[:256]) for name, text in menu.commands]
            scope = BotCommandScopeChat(telegram_chat_id(menu.chat_id)) if menu.chat_id else None
            try:
                await self.app.bot.set_my_commands(
                    commands, scope=scope, language_code=None if menu.language == "vi" else menu.language
                )
            except TelegramError as exc:
                log.warning("setMyCommands (%s, %s) failed: %s", menu.chat_id or "default", menu.language, exc.message)

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand, close connections (the reverse of start)."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # -- incoming ----------------------------------------------------------------------------

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return
        req = self._message_request(message)
        async with self._locks.hold(req.chat_id):
            replies = await self.router.handle(req)
            reply_to = message.message_id if req.chat_type == "group" else None
            await self._deliver(req, replies, reply_to=reply_to)
        if req.text.startswith("/start "):
            await self._publish_commands(changed_only=True)  # joined through an invite link

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, photo, voice, location…: the router says politely that only text is read."""
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return
        req = self._message_request(message)
        req.kind = next(
            (kind for kind in _OTHER_KINDS if getattr(message, kind, None)), "other"
        )
        async with self._locks.hold(req.chat_id):
            await self._deliver(req, await self.router.handle(req))

    def _message_request(self, message: Message) -> Request:
        user = message.from_user
        assert user is not None
        chat = message.chat
        is_group = chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        text = message.text if message.text is not None else (message.caption or "")
        text, mentioned = self._strip_mention(message, text)
        req = Request(
            bot_username=self.username,
            channel=self.name,
            account_id=str(user.id),
            chat_id=str(chat.id),
            text=text,
            chat_type="group" if is_group else "private",
            display_name=user.full_name or (user.username or ""),
            mentioned=mentioned,
        )
        document = message.document
        # A photo (a plan photographed with the phone) is a file too: its largest size, a JPEG.
        photo = message.photo[-1] if message.photo else None
        # In a group, a shared file is the bot's business only with a command or a mention.
        if (document is not None or photo is not None) and (not is_group or mentioned or text.lstrip().startswith("/")):
            if document is not None:
                req.file_name = document.file_name or "tep"
                req.file_size, req.file_id = document.file_size, document.file_id
            elif photo is not None:
                req.file_name = f"anh-chup-{photo.file_unique_id}.jpg"
                req.file_size, req.file_id = photo.file_size, photo.file_id
            assert req.file_id is not None
            req.load_file = self._file_loader(req.file_id)  # file_id: a report file's reference (/xong)
        return req

    def _strip_mention(self, message: Message, text: str) -> tuple[str, bool]:
        """Remove "@bot_username" from the text; a reply to one of the bot's messages counts too."""
        username = (self.app.bot.username or "").lower()
        bot_id = self.app.bot.id
        mentioned = False
        if message.text is not None:
            entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
        else:
            entities = message.parse_caption_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
        for entity, value in entities.items():
            if (entity.type == MessageEntity.MENTION and username and value.lower() == f"@{username}") or (
                entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
            ):
                mentioned = True
                text = text.replace(value, " ", 1)
        if not mentioned and username:
            # Entities missing (some clients, edited captions): a plain "@name" not glued to a command.
            pattern = re.compile(rf"(?<![\w/@])@{re.escape(username)}(?!\w)", re.IGNORECASE)
            if pattern.search(text):
                mentioned = True
                text = pattern.sub(" ", text)
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
            mentioned = True
        if mentioned:
            text = re.sub(r"[ \t]{2,}", " ", text).strip()
        return text, mentioned

    def _file_loader(self, file_id: str) -> Callable[[], Awaitable[bytes]]:
        async def load() -> bytes:
            try:
                telegram_file = await self.app.bot.get_file(file_id)
                return bytes(await telegram_file.download_as_bytearray())
            except TelegramError as exc:  # e.g. "file is too big" (the Bot API serves up to 20 MB)
                raise ImportRefused(
                    _("Không tải được tệp từ Telegram: {error}").format(error=exc.message)
                ) from None

        return load

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: Telegram says so in both chats (migrate_to_chat_id in the old
        one, migrate_from_chat_id in the new one); its link and reminders move to the new id."""
        message = update.message
        if message is None:
            return
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        await self.router.chat_moved(Address.of(self.name, old), Address.of(self.name, new))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await self._answer(query)
        chat = query.message.chat if query.message is not None else None
        chat_id = str(chat.id) if chat is not None else str(query.from_user.id)
        is_group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        req = Request(
            bot_username=self.username,
            channel=self.name,
            account_id=str(query.from_user.id),
            chat_id=chat_id,
            chat_type="group" if is_group else "private",
            callback=query.data or "",
            display_name=query.from_user.full_name or "",
        )
        async with self._locks.hold(chat_id):
            await self._drop_keyboard(query)
            replies = await self.router.handle(req)
            await self._deliver(req, replies)
        await self._publish_commands(changed_only=True)  # an approval gives a role its menu

    async def _answer(self, query: CallbackQuery) -> None:
        """Stop the button's spinner at once; a stale query is not worth more than a debug line."""
        try:
            await query.answer()
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed: %s", exc.message)

    async def _drop_keyboard(self, query: CallbackQuery) -> None:
        """A choice was made: remove the buttons so they cannot be pressed twice."""
        message = query.message
        if message is None or not isinstance(message, Message) or message.reply_markup is None:
            return
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:
            log.debug("could not remove the keyboard: %s", exc.message)

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocked or removed from a group: stop writing there. Added to a group: say hello."""
        change: ChatMemberUpdated | None = update.my_chat_member
        if change is None:
            return
        address = Address.of(self.name, change.chat.id)
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await self.router.account_blocked(address)
            log.info("telegram chat %s blocked or removed the bot", change.chat.id)
            return
        if change.chat.type == ChatType.PRIVATE:
            await self.router.account_back(address)  # unblocked
            return
        was_in = change.old_chat_member.status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        if was_in:
            return
        req = Request(
            bot_username=self.username,
            channel=self.name,
            account_id=str(change.from_user.id),
            chat_id=str(change.chat.id),
            text="/start",
            chat_type="group",
            display_name=change.from_user.full_name or "",
        )
        async with self._locks.hold(req.chat_id):
            await self._deliver(req, await self.router.handle(req))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with enough context to find the update, apologise, and keep going."""
        error = context.error
        if not isinstance(update, Update):
            # Polling/network trouble outside any update: PTB retries by itself.
            if isinstance(error, TelegramError):
                log.warning("Telegram error outside an update: %s", error.message)
            else:
                log.error("error outside an update", exc_info=error)
            return
        user = update.effective_user
        message = update.effective_message
        text = (message.text or message.caption or "") if message is not None else ""
        if update.callback_query is not None:
            text = f"[button] {update.callback_query.data or ''}"
        log.error(
            "error handling update %s from telegram:%s (%r)",
            update.update_id,
            user.id if user else "?",
            text[:40],
            exc_info=error,
        )
        chat = update.effective_chat
        if chat is None:
            return
        language = "vi"
        with contextlib.suppress(Exception):
            if user is not None:
                language = await self.router.language_of(Address.of(self.name, user.id))
        with use_language(language):
            apology = Reply([_("Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.")])
        try:
            await self.send(str(chat.id), apology)
        except DeliveryError as exc:
            log.warning("could not send the apology to telegram:%s: %s", chat.id, exc)

    # -- outgoing ----------------------------------------------------------------------------

    async def _deliver(self, req: Request, replies: list[Reply], *, reply_to: int | None = None) -> None:
        """Send a turn's replies; the first one in the same chat answers the user's message."""

        async def here(chat_id: str, reply: Reply, first: bool) -> None:
            await self._send(chat_id, reply, reply_to=reply_to if first else None)

        await deliver_turn(self, req.chat_id, replies, self.router.outbox, here)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply (reminders, digests, other channels' admin notes); raises DeliveryError."""
        await self._send(chat_id, reply)

    async def _send(self, chat_id: str | int, reply: Reply, *, reply_to: int | None = None) -> None:
        """`_send_once`; a group that became a supergroup (the update was missed) is moved and
        the reply sent again to its new id, once."""
        try:
            await self._send_once(chat_id, reply, reply_to=reply_to)
        except _ChatMoved as moved:
            new = moved.new_chat_id
            log.info("telegram chat %s became %s; sending there", chat_id, new)
            with contextlib.suppress(Exception):
                await self.router.chat_moved(Address.of(self.name, chat_id), Address.of(self.name, new))
            try:
                await self._send_once(new, reply)
            except _ChatMoved:
                raise DeliveryError(f"chat migrated twice: {chat_id} → {new}") from None

    async def _send_once(self, chat_id: str | int, reply: Reply, *, reply_to: int | None = None) -> None:
        target = telegram_chat_id(chat_id)
        bot = self.app.bot
        markup = keyboard(reply)
        parts = split_for_telegram(reply.blocks) if any(b.strip() for b in reply.blocks) else []
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

        if reply.photo is not None:
            caption = parts[0] if len(parts) == 1 and utf16_len(parts[0]) <= CAPTION_LIMIT else None
            if caption is not None:
                parts = []
            photo = reply.photo
            await self._call(
                target,
                lambda: bot.send_photo(
                    target,
                    photo,
                    caption=caption,
                    parse_mode=ParseMode.HTML if caption else None,
                    reply_markup=markup if not parts else None,
                    reply_parameters=quote,
                ),
            )
            quote = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1 and reply.document is None
            await self._send_text(target, part, markup if last else None, quote)
            quote = None
        if reply.document is not None:  # a report (/xuat): after its summary, with the buttons
            name, content = reply.document
            await self._call(
                target,
                lambda: bot.send_document(
                    target,
                    InputFile(content, filename=name),
                    reply_markup=markup,
                    reply_parameters=quote,
                ),
            )

    async def _send_text(
        self,
        target: int | str,
        part: str,
        markup: InlineKeyboardMarkup | None,
        quote: ReplyParameters | None,
    ) -> None:
        bot = self.app.bot
        try:
            await self._call(
                target,
                lambda: bot.send_message(
                    target,
                    part,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                    reply_parameters=quote,
                ),
            )
        except DeliveryError as exc:
            if "parse entities" not in str(exc).lower():
                raise
            # A block cut inside a tag (a huge title) is refused: show it without formatting.
            log.warning("Telegram refused the HTML of a message part; sending it as plain text")
            text = plain_text(part).strip() or "…"
            await self._call(
                target,
                lambda: bot.send_message(
                    target,
                    text[:TEXT_LIMIT],
                    parse_mode=None,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                    reply_parameters=quote,
                ),
            )

    async def _call(self, target: int | str, call: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call with the delivery rules: retry what surely did not arrive (a refused
        connection, a 5xx) a couple of times; never retry a block; a timeout or a cut connection
        after the request left is `unknown` and NOT retried here (it may have been delivered:
        retrying inside the send multiplied copies)."""
        attempt = 0
        while True:
            try:
                answer = await call()
                self.health.ok()
                return answer
            except RetryAfter as exc:  # still limited after AIORateLimiter's own retries
                self.health.ok()
                raise DeliveryError(
                    f"rate limited: {exc.message}", retry_after=retry_after_seconds(exc)
                ) from None
            except Forbidden as exc:
                await self._mark_blocked(target)
                raise DeliveryError(f"blocked: {exc.message}", blocked=True) from None
            except ChatMigrated as exc:  # a group became a supergroup: its id changed
                raise _ChatMoved(exc.new_chat_id) from None
            except BadRequest as exc:  # (a NetworkError subclass in PTB) – retrying will not help
                raise DeliveryError(f"refused: {exc.message}") from None
            except NetworkError as exc:  # includes TimedOut
                self.health.failed(exc.message)
                if not _surely_not_sent(exc):
                    raise DeliveryError(f"no answer: {exc.message}", unknown=True) from None
                attempt += 1
                if SEND_RETRIES.gives_up(attempt):
                    raise DeliveryError(f"network: {exc.message}") from None
                await asyncio.sleep(SEND_RETRIES.delay(attempt))
            except TelegramError as exc:
                raise DeliveryError(f"telegram: {exc.message}") from None

    async def _mark_blocked(self, target: int | str) -> None:
        address = Address.of(self.name, target)
        log.info("%s blocked the bot or removed it; marking it inactive", address)
        try:
            await self.router.account_blocked(address)
        except Exception:
            log.exception("could not mark %s inactive", address)
