"""The Zalo channel: polling or a webhook in front of the `Router`, sends with Zalo's rules.

Two modules: `zalo_api` (the HTTP client) and this one; in webhook mode the process's web
server (`bot.web`, issue 30) receives the pushes and the inbox (`handlers.inbox`) hands each
kept update back to `handle_stored`.

Why a client of our own (≈150 lines over httpx) and not a package:
- `python-zalo-bot` is a fork of python-telegram-bot v20 with Telegram leftovers (passport,
  credentials, files) renamed to Zalo; it pins its own HTTP stack, has no published tests for
  the Zalo-specific parts (one update per getUpdates, 408 on an empty poll) and its webhook
  example is a synchronous Flask app. `zalobot-python` / `pyZaloBotAPI` are synchronous
  (requests) copies of pyTelegramBotAPI. None is both async and tested against this API.
- The API is six JSON POSTs. httpx is already a dependency (python-telegram-bot uses it), so
  the adapter controls timeouts, retries and error mapping itself and adds nothing to install.

What the platform documents (bot.zaloplatforms.com/docs, 2025) and what we rely on:
- Every method is `POST {ZALO_API_BASE_URL}/bot<TOKEN>/<method>` with a JSON body; answers are
  `{"ok": true, "result": …}` or `{"ok": false, "error_code": N, "description": …}`. We read
  `ok` whatever the HTTP status is.
- getUpdates `{"timeout": "30"}` long-polls and answers ONE update; with nothing new it answers
  error 408 "Request timeout" — that is "no update": we poll again at once. (Only when such an
  answer comes back suspiciously fast do we pause, so a misbehaving server never makes a busy
  loop.) Real errors back off exponentially, 0.5 s doubling to 30 s. getUpdates does not work
  while a webhook is set, so polling mode deletes a leftover webhook first.
- Webhook: setWebhook `{"url", "secret_token"}` (HTTPS, secret 8–256 characters); Zalo POSTs
  `{"ok": true, "result": update}` with the header `X-Bot-Api-Secret-Token`; any call without
  the right secret gets 403. The process's web server listens on ZALO_WEBHOOK_URL's port
  (ZALO_WEBHOOK_PORT, else the URL's, else 8444), on the URL's path — put a TLS reverse proxy
  in front. Without ZALO_WEBHOOK_SECRET a secret is made once and kept in the database (every
  worker registers the same). An update is kept in the inbox before the 200 (keyed by its
  message id: a redelivery is answered once, on any worker) and handled in its chat's order.
- sendMessage text is 1–2000 characters: answers are split between blocks under
  `TEXT_LIMIT` with `split_blocks`. There is no parse mode we can count on, so replies are sent
  as plain text, buttons as a numbered list (the router maps "1", "2" to the buttons).
- sendPhoto takes an image URL only (no upload). The digest chart is PNG bytes made on the fly
  and we do not host files, so a chart goes out as its caption plus a note (text fallback).
- sendChatAction `{"action": "typing"}` is sent when an answer takes longer than a moment.
- Rate limits are not published. We throttle ourselves with token buckets (≈10 messages/s
  overall, bursts of 5 then 1 message/s per chat — the Zalo app itself flags faster senders as
  spam) and honour a 429's `retry_after` (`parameters.retry_after` or a Retry-After header).
- Error mapping for `send` (documented codes are HTTP-like; descriptions are free text):
  403 → the user blocked/unfollowed the bot or it was removed from the group: `blocked`;
  400/404 whose description says the chat/user is not found or blocked → `blocked` too;
  429 → `retry_after`; network errors and 5xx → 2 quick retries, then `DeliveryError`;
  anything else (400, 401) → `DeliveryError` at once.
- The token is part of every URL: nothing here logs URLs and the httpx logger stays at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from aiolimiter import AsyncLimiter

from bot.channels.base import ApiHealth, ChatLocks, deliver_turn
from bot.channels.zalo_api import ZaloApiError, ZaloBotClient, describe
from bot.core.address import Address
from bot.core.i18n import _, use_language
from bot.core.markup import plain_text, split_blocks
from bot.core.reminders.backoff import Backoff
from bot.core.replies import Reply
from bot.core.text import fold, nfc
from bot.delivery.ports import DeliveryError
from handlers.inbox import NotAnUpdate, WebhookEndpoint
from handlers.requests import Request

if TYPE_CHECKING:
    from bot.settings import Settings
    from handlers.inbox import InboxWorker
    from handlers.router import Router

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000  # sendMessage accepts 1–2000 characters
POLL_TIMEOUT = 25.0  # seconds a getUpdates long poll waits on the server
RECONNECT = Backoff.reconnect()  # getMe at start-up and getUpdates after an error
NETWORK_RETRIES = 2  # extra attempts of getMe at start-up after a network error
SEND_RETRIES = Backoff.quick()  # inside one send: only for requests that surely did not arrive
TYPING_AFTER = 0.4  # an answer not ready after this long gets a "typing…" indicator
DEFAULT_WEBHOOK_PORT = 8444
SECRET_HEADER = "X-Bot-Api-Secret-Token"
SEEN_MESSAGES = 2000  # message ids remembered to drop a webhook redelivery

_GONE = re.compile(
    r"block|unfollow|not\s+(a\s+)?follow|(chat|user|recipient|group)\s*(id\s*)?(is\s+)?not\s+found"
    r"|not\s+found.*(chat|user|recipient)|kicked|removed|not\s+a\s+member",
    re.IGNORECASE,
)


# ---- throttling ----------------------------------------------------------------------------


class RateLimiter:
    """An overall leaky bucket plus one per chat, on aiolimiter (idle per-chat buckets are dropped).

    `chat_burst` messages may go to one chat at once, then `per_chat` a second; all chats
    together get `overall` a second with bursts of `overall_burst`.
    """

    def __init__(
        self, *, overall: float = 10.0, overall_burst: int = 10, per_chat: float = 1.0, chat_burst: int = 5
    ) -> None:
        self._overall = AsyncLimiter(overall_burst, overall_burst / overall)
        self.rate = overall
        self._chat_burst = chat_burst
        self._chat_period = chat_burst / per_chat
        self._chats: dict[str, AsyncLimiter] = {}

    async def acquire(self, chat_id: str) -> None:
        if len(self._chats) > 1000:
            self._chats = {k: b for k, b in self._chats.items() if not b.has_capacity(self._chat_burst)}
        bucket = self._chats.setdefault(chat_id, AsyncLimiter(self._chat_burst, self._chat_period))
        await bucket.acquire()
        await self._overall.acquire()


# ---- rendering -----------------------------------------------------------------------------


def render_parts(reply: Reply, limit: int = TEXT_LIMIT) -> list[str]:
    """The messages for one reply: plain text split under `limit`, buttons as numbered choices."""
    blocks = [plain_text(b) for b in reply.blocks]
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        choices = [f"{n}. {plain_text(b.label)}" for n, b in enumerate(buttons, 1)]
        hint = (
            _("(Trả lời 1 để chọn)")
            if len(buttons) == 1
            else _("(Trả lời bằng một số từ 1 đến {n} để chọn)").format(n=len(buttons))
        )
        blocks.append("\n".join([*choices, hint]))
    parts = [p.strip() for p in split_blocks(blocks, limit)]
    return [p for p in parts if p]


# ---- the channel ---------------------------------------------------------------------------


class ZaloChannel:
    """Long polling (or a webhook when ZALO_WEBHOOK_URL is set) feeding `router.handle`."""

    name = "zalo"

    def __init__(
        self,
        settings: Settings,
        router: Router,
        *,
        poll_timeout: float = POLL_TIMEOUT,
        rate_limiter: RateLimiter | None = None,
        http: httpx.AsyncClient | None = None,
        typing_after: float = TYPING_AFTER,
        inbox: InboxWorker | None = None,
    ) -> None:
        if not settings.zalo_bot_token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        for noisy in ("httpx", "httpcore"):  # they log request URLs, which contain the token
            if logging.getLogger(noisy).getEffectiveLevel() < logging.WARNING:
                logging.getLogger(noisy).setLevel(logging.WARNING)
        self.settings = settings
        self.router = router
        self.client = ZaloBotClient(
            settings.zalo_bot_token,
            settings.zalo_api_base_url,
            http=http,
            timeout=settings.nhacviec_send_timeout_seconds,
        )
        self.poll_timeout = poll_timeout
        self.typing_after = typing_after
        self.limiter = rate_limiter or RateLimiter()
        self.webhook_url = (settings.zalo_webhook_url or "").strip()
        self.webhook_secret = ""  # set when the webhook starts: configured, or generated once and stored
        self.inbox = inbox  # webhook mode: where pushed updates are kept (issue 30)
        self.health = ApiHealth(self.name)
        self.bot_info: dict[str, Any] = {}
        self._mention_names: list[str] = []
        self._locks = ChatLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._seen: OrderedDict[str, None] = OrderedDict()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def send_rate(self) -> float:
        """Messages a second the overall bucket lets through (the tick sizes its claims by it)."""
        return self.limiter.rate

    async def start(self) -> None:
        """getMe, then poll in the background or register the webhook; returns once running."""
        self._stopping.clear()
        self.bot_info = await self._get_me()
        names = [self.bot_info.get(k) for k in ("display_name", "name", "account_name")]
        self._mention_names = sorted({nfc(str(n)) for n in names if n}, key=len, reverse=True)
        if self.webhook_url:
            await self._start_webhook()
        else:
            await self._drop_leftover_webhook()
            self._poller = asyncio.create_task(self._poll_forever(), name="zalo-poll")

    async def open_for_sending(self) -> None:
        """Check the token without receiving updates (`nhacviec remind` sends once and exits)."""
        self.bot_info = await self._get_me()

    async def _get_me(self) -> dict[str, Any]:
        for attempt in range(NETWORK_RETRIES + 2):
            try:
                info = await self.client.get_me()
                self.health.ok()
                return info if isinstance(info, dict) else {}
            except ZaloApiError as exc:
                self._answered(exc)
                if exc.code == 401:
                    raise RuntimeError(_("Zalo từ chối ZALO_BOT_TOKEN. Hãy kiểm tra lại token.")) from None
                error = exc.description
            except httpx.HTTPError as exc:
                error = type(exc).__name__
                self.health.failed(error)
            if attempt == NETWORK_RETRIES + 1:
                raise RuntimeError(_("Không kết nối được Zalo: {error}").format(error=error))
            log.warning("Zalo not reachable (%s); retrying", error)
            await asyncio.sleep(RECONNECT.delay(attempt + 1))
        raise AssertionError("unreachable")

    async def _drop_leftover_webhook(self) -> None:
        """getUpdates is refused while a webhook is set (e.g. by an earlier run in webhook mode)."""
        try:
            info = await self.client.get_webhook_info()
            if isinstance(info, dict) and info.get("url"):
                log.info("a Zalo webhook is set; deleting it to use long polling")
                await self.client.delete_webhook()
        except (ZaloApiError, httpx.HTTPError) as exc:
            log.warning("could not check the Zalo webhook: %s", exc)

    async def stop(self) -> None:
        """Stop receiving, let the updates in hand finish (briefly), close connections."""
        self._stopping.set()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=5.0)
            for task in pending:
                task.cancel()
        await self.client.close()

    # -- receiving: long polling -------------------------------------------------------------

    async def _poll_forever(self) -> None:
        """One update per getUpdates; 408 = nothing new; errors back off 0.5 s → 30 s."""
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                update = await self.client.get_update(self.poll_timeout)
            except asyncio.CancelledError:
                raise
            except (ZaloApiError, httpx.HTTPError) as exc:
                failures += 1
                backoff = RECONNECT.delay(failures)
                level = (
                    logging.ERROR
                    if isinstance(exc, ZaloApiError) and exc.code in (401, 409)
                    else logging.WARNING
                )
                log.log(level, "Zalo getUpdates failed (%s); retrying in %.1f s", describe(exc), backoff)
                await self._pause(backoff)
                continue
            except Exception:
                failures += 1
                backoff = RECONNECT.delay(failures)
                log.exception("unexpected error polling Zalo; retrying in %.1f s", backoff)
                await self._pause(backoff)
                continue
            if update is None and time.monotonic() - started < self.poll_timeout / 2:
                # "Nothing new" long before the timeout: the server is not long-polling. Do not spin.
                failures += 1
                await self._pause(RECONNECT.delay(failures))
                continue
            failures = 0
            if update is not None:
                self._dispatch(update)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _dispatch(self, update: dict[str, Any]) -> None:
        """Handle an update in the background (other chats keep moving; one chat stays in order)."""
        task = asyncio.create_task(self._handle_update(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- receiving: webhook ------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        """Register the webhook (the web server already serves `webhook_endpoint()`)."""
        if self.inbox is None:
            raise RuntimeError("webhook mode needs the process's inbox and web server (bot.app)")
        self.inbox.add_channel(self.name, self.handle_stored)
        self.webhook_secret = await self.router.webhook_secret(self.name)
        try:
            await self.client.set_webhook(self.webhook_url, self.webhook_secret)
        except (ZaloApiError, httpx.HTTPError) as exc:
            raise RuntimeError(_("Zalo không nhận webhook: {error}").format(error=describe(exc))) from None
        log.info("Zalo webhook registered")

    async def webhook_endpoint(self) -> WebhookEndpoint | None:
        """Where Zalo pushes (the URL's path) and how a pushed update is kept; None when polling."""
        if not self.webhook_url or self.inbox is None:
            return None
        secret = await self.router.webhook_secret(self.name)
        return WebhookEndpoint(self.name, urlsplit(self.webhook_url).path or "/", SECRET_HEADER, secret, self.accept)

    async def accept(self, payload: dict[str, Any]) -> bool:
        """Keep a pushed update (`{"ok": true, "result": update}` or the bare update) in the
        inbox, keyed by its message id, ordered by the message's time in its chat."""
        update = payload.get("result") if "result" in payload else payload
        message = update.get("message") if isinstance(update, dict) else None
        if not isinstance(message, dict):
            raise NotAnUpdate("no message")
        sender, chat = message.get("from") or {}, message.get("chat") or {}
        chat_id = (chat.get("id") if isinstance(chat, dict) else None) or (
            sender.get("id") if isinstance(sender, dict) else None
        )
        key = str(message.get("message_id") or "") or hashlib.sha256(
            json.dumps(update, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        when = message.get("date")
        seq = when if isinstance(when, int) and not isinstance(when, bool) else 0
        assert self.inbox is not None
        return await self.inbox.keep(self.name, key, f"{self.name}:{chat_id or '-'}", seq, update)  # type: ignore[arg-type]

    async def handle_stored(self, update: dict[str, Any]) -> None:
        """Run one kept update to the end of its turn (the inbox marks it handled after)."""
        await self._handle_update(update)

    # -- handling ----------------------------------------------------------------------------

    async def _handle_update(self, update: dict[str, Any]) -> None:
        message = update.get("message")
        if not isinstance(message, dict):
            return
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot"):
            return
        account_id, chat_id = str(sender.get("id") or ""), str(chat.get("id") or sender.get("id") or "")
        if not account_id or not chat_id or self._already_seen(message.get("message_id")):
            return
        is_group = str(chat.get("chat_type", "")).upper() == "GROUP"
        event = str(update.get("event_name") or "")
        text = message.get("text")
        try:
            async with self._locks.hold(chat_id):
                if event == "message.text.received" or (not event and isinstance(text, str)):
                    await self._on_text(account_id, chat_id, is_group, str(text or ""), sender)
                else:
                    await self._on_other(account_id, chat_id, is_group, event, message)
        except Exception:
            log.exception("error handling a Zalo update from zalo:%s", account_id)

    def _already_seen(self, message_id: object) -> bool:
        """A webhook may deliver the same message twice; answer it once."""
        if not message_id:
            return False
        key = str(message_id)
        if key in self._seen:
            return True
        self._seen[key] = None
        while len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return False

    async def _on_text(
        self, account_id: str, chat_id: str, is_group: bool, text: str, sender: dict[str, Any]
    ) -> None:
        text, mentioned = self.strip_mention(text)
        req = Request(
            channel=self.name,
            account_id=account_id,
            chat_id=chat_id,
            text=text,
            chat_type="group" if is_group else "private",
            display_name=str(
                sender.get("display_name") or sender.get("first_name") or sender.get("name") or ""
            ),
            mentioned=mentioned,
        )
        await self._reactivate(req.account)
        typing = asyncio.create_task(self._typing_later(chat_id))
        try:
            replies = await self.router.handle(req)
        finally:
            typing.cancel()
        await self._deliver(chat_id, replies)

    async def _typing_later(self, chat_id: str) -> None:
        await asyncio.sleep(self.typing_after)
        try:
            await self.client.send_chat_action(chat_id, "typing")
        except (ZaloApiError, httpx.HTTPError) as exc:
            log.debug("sendChatAction failed: %s", describe(exc))

    async def _on_other(
        self, account_id: str, chat_id: str, is_group: bool, event: str, message: dict[str, Any]
    ) -> None:
        """Images, stickers, files, voice: say politely that only text is read (not in groups)."""
        caption = str(message.get("caption") or "")
        mentioned = self.strip_mention(caption)[1] if caption else False
        if is_group and not mentioned:
            return  # a sticker in a group is not the bot's business
        with use_language(await self.router.language_of(Address.of(self.name, account_id))):
            blocks = [_("Nhắc Việc chỉ đọc tin nhắn chữ. Hãy gõ câu hỏi hoặc lệnh, ví dụ /help.")]
            if event not in ("message.image.received", "message.sticker.received"):
                blocks.append(
                    _(
                        "Tệp gửi qua Zalo không đến được bot; để nhập kế hoạch hãy dùng Telegram hoặc lệnh nhacviec import."
                    )
                )
        await self._deliver(chat_id, [Reply(blocks)])

    async def _reactivate(self, address: Address) -> None:
        """An approved account marked inactive (it had blocked the bot) writes again: it is back."""
        await self.router.account_back(address)

    def strip_mention(self, text: str) -> tuple[str, bool]:
        """ "@Nhắc Việc việc quá hạn" → ("việc quá hạn", True); "/viec@bot.NhacViec" → "/viec"."""
        text = nfc(text) if text.strip() else ""
        mentioned = False
        for name in self._mention_names:
            command = re.compile(rf"^(/\w+)@{re.escape(name)}(?![\w.])", re.IGNORECASE)
            if command.search(text):
                mentioned = True
                text = command.sub(r"\1", text)
            pattern = re.compile(rf"(?<![\w@])@{re.escape(name)}(?![\w.])", re.IGNORECASE)
            if pattern.search(text):
                mentioned = True
                text = pattern.sub(" ", text)
        if not mentioned:
            folded = fold(text)
            # Typed without diacritics or with other ones ("@Nhac Viec"): a mention, left in place.
            mentioned = any(
                re.search(rf"(?<![\w@])@{re.escape(fold(n))}(?![\w.])", folded) for n in self._mention_names
            )
        if mentioned:
            text = re.sub(r"[ \t]{2,}", " ", text).strip()
        return text, mentioned

    # -- sending -----------------------------------------------------------------------------

    async def _deliver(self, chat_id: str, replies: list[Reply]) -> None:
        await deliver_turn(self, chat_id, replies, self.router.outbox)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply (split under 2000 characters); raises DeliveryError."""
        parts = render_parts(reply)
        if reply.photo is not None:
            # sendPhoto takes a public image URL only and the chart is bytes we do not host:
            # send its caption with a note instead (the numbers are in the text digest).
            parts = render_parts(
                Reply(
                    [
                        *reply.blocks,
                        _(
                            "(Zalo chưa nhận ảnh tải lên từ bot nên biểu đồ không gửi được; số liệu có trong báo cáo chữ.)"
                        ),
                    ],
                    buttons=reply.buttons,
                )
            )
        for part in parts:
            await self._call(chat_id, functools.partial(self.client.send_message, chat_id, part))
        await self._remember_choices(chat_id, reply)

    async def _remember_choices(self, chat_id: str, reply: Reply) -> None:
        """The numbers shown in a chat are the buttons the router maps "1", "2" to.

        The router remembers the buttons of replies to the chat a request came from; a reply
        sent elsewhere (a join request to an admin, a reminder) is remembered here, once shown.
        """
        await self.router.buttons_shown(Address.of(self.name, chat_id), [b for row in reply.buttons for b in row])

    async def _call(self, chat_id: str, call: Callable[[], Any]) -> Any:
        """One send with the delivery rules: throttle; retry what surely did not arrive (a refused
        connection, a 5xx) a couple of times; never retry a block; a timeout or a connection cut
        after the request left is `unknown` and not retried here (it may have been delivered)."""
        attempt = 0
        while True:
            await self.limiter.acquire(chat_id)
            try:
                answer = await call()
                self.health.ok()
                return answer
            except ZaloApiError as exc:
                self._answered(exc)
                if exc.code == 429:
                    raise DeliveryError(
                        f"rate limited: {exc.description}", retry_after=exc.retry_after or 1.0
                    ) from None
                if exc.code == 403 or (exc.code in (400, 404) and _GONE.search(exc.description)):
                    await self._mark_blocked(chat_id)
                    raise DeliveryError(f"blocked: {exc.description}", blocked=True) from None
                if exc.code < 500 or SEND_RETRIES.gives_up(attempt + 1):
                    raise DeliveryError(f"zalo: {exc.code} {exc.description}") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self.health.failed(type(exc).__name__)
                if SEND_RETRIES.gives_up(attempt + 1):
                    raise DeliveryError(f"network: {type(exc).__name__}") from None
            except httpx.HTTPError as exc:  # read timeout, connection reset while waiting
                self.health.failed(type(exc).__name__)
                raise DeliveryError(f"no answer: {type(exc).__name__}", unknown=True) from None
            attempt += 1
            await asyncio.sleep(SEND_RETRIES.delay(attempt))

    def _answered(self, exc: ZaloApiError) -> None:
        """An error answer: the API is up unless it is a server error."""
        if exc.code >= 500:
            self.health.failed(f"{exc.code} {exc.description}")
        else:
            self.health.ok()

    async def _mark_blocked(self, chat_id: str) -> None:
        address = Address.of(self.name, chat_id)
        log.info("%s blocked the bot or is gone; marking it inactive", address)
        try:
            await self.router.account_blocked(address)
        except Exception:
            log.exception("could not mark %s inactive", address)
