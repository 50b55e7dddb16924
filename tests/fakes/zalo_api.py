"""A stand-in Zalo Bot Platform API server for end-to-end tests (stdlib only, runs on 127.0.0.1).

Point the production code at it with `ZALO_BOT_TOKEN=api.token` and
`ZALO_API_BASE_URL=api.base_url` (`http://127.0.0.1:PORT`); calls go to
`{ZALO_API_BASE_URL}/bot{TOKEN}/{method}` exactly like `https://bot-api.zaloplatforms.com`.

What the Zalo Bot Platform documents (bot.zaloplatforms.com/docs, read through copies of the
official pages and the official SDKs, 2025) and what this stand-in does:
- Every method is `POST https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>` with a JSON body;
  answers are `{"ok": true, "result": …}` or `{"ok": false, "error_code": N, "description": …}`.
  The token looks like `<bot_id>:<secret>`.
- getMe → `{"id": "1459232241454765289", "account_name": "bot.VDKyGxQvc",
  "account_type": "BASIC", "can_join_groups": false}`.
- getUpdates `{"timeout": "30"}` (seconds, a string in the docs; numbers accepted) long-polls and
  answers ONE update: `{"ok": true, "result": {"event_name": "message.text.received",
  "message": {...}}}`; when the timeout passes with nothing new it answers
  `{"ok": false, "error_code": 408, "description": "Request timeout"}`. There is no offset: an
  update counts as delivered once it is answered. getUpdates does not work while a webhook is set
  (here: 409 "Conflict: webhook is active, use deleteWebhook first" — the exact wording is ours).
- Update `message`: `message_id` (hex string), `date` (Unix MILLIseconds), `chat` `{"id",
  "chat_type": "PRIVATE"|"GROUP"}`, `from` `{"id", "display_name", "is_bot"}` (the official doc
  sample shows `first_name`; the official python SDK reads `display_name`), `text`; images carry
  `photo` (URL) and `caption`, stickers `sticker`. Event names: message.text.received,
  message.image.received, message.sticker.received, message.unsupported.received.
- sendMessage `{"chat_id", "text"}` (1–2000 characters), sendPhoto `{"chat_id", "photo": URL,
  "caption"?}`, sendSticker `{"chat_id", "sticker"}` → `{"message_id", "date"}`; sendChatAction
  `{"chat_id", "action": "typing"|"upload_photo"}` → `{"ok": true}` (no result).
- setWebhook `{"url": HTTPS URL, "secret_token": 8–256 characters}` → `{"url", "updated_at"}`;
  getWebhookInfo / deleteWebhook → `{"url", "updated_at"}` (url "" once deleted). Zalo then POSTs
  each update to the URL as `{"ok": true, "result": {event_name, message}}` with the header
  `X-Bot-Api-Secret-Token: <secret_token>`. Here http:// is accepted for 127.0.0.1/localhost only.

Not documented, so chosen here (and made switchable where a client could depend on it): error
answers use the HTTP status equal to `error_code` (`errors_with_http_200=True` answers HTTP 200
instead — a robust client reads `ok` either way); validation errors are 400 "Bad Request: …";
a wrong token is 401 "Unauthorized"; an unknown method 404 "Not Found".
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from .telegram_api import (
    JSON,
    Answer,
    ApiError,
    BackgroundHTTPServer,
    ClientGone,
    Failure,
    IncomingRequest,
    RecordedCall,
    StandInAPI,
    parse_body,
    shared_ssl_context,
)

T = TypeVar("T")

DEFAULT_TOKEN = "1459232241454765289:TEST-zalo-nhacviec"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000

_METHODS = (
    "getMe", "getUpdates", "sendMessage", "sendPhoto", "sendSticker", "sendChatAction",
    "setWebhook", "deleteWebhook", "getWebhookInfo",
)  # fmt: skip
_METHOD_BY_LOWER = {m.lower(): m for m in _METHODS}
HOUSEKEEPING_METHODS = frozenset({"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo"})
_NO_RESULT = object()  # sendChatAction answers {"ok": true} without a result


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def zalo_id() -> str:
    """Zalo ids (users, chats, messages) are 20 hex characters."""
    return secrets.token_hex(10)


class FakeZaloAPI(StandInAPI):
    """Stand-in Zalo Bot API on 127.0.0.1; use as a context manager or with start()/stop().

    Test side (thread-safe): `add_user_message`, `add_image`, `add_sticker`, `add_unsupported`,
    `add_update`; `sent`, `calls(method)`, `messages_to(chat_id)`; `await wait_for(check)`,
    `await wait_for_sent(count | predicate)`, `await wait_for_message(chat_id, contains)`;
    `fail_next`, `drop_next`; counters `get_updates_calls`, `timeouts`, `pending_updates`;
    `await post_update_to_webhook(url, update, secret_token)` for the webhook side.
    """

    METHODS_BY_LOWER = _METHOD_BY_LOWER
    HOUSEKEEPING = HOUSEKEEPING_METHODS

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        account_name: str = "bot.NhacViec",
        errors_with_http_200: bool = False,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_info: JSON = {
            "id": token.split(":")[0],
            "account_name": account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.errors_with_http_200 = errors_with_http_200
        self._wall_clock = wall_clock
        self._http = BackgroundHTTPServer(self._serve)
        self._request_context = threading.local()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = False
        self._updates: deque[JSON] = deque()
        self._calls: list[RecordedCall] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._webhook: JSON = {"url": "", "updated_at": 0}
        self._webhook_thread: threading.Thread | None = None
        self._names: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self.get_updates_calls = 0
        self.timeouts = 0  # getUpdates answered 408 "Request timeout"

    # ---- lifecycle -----------------------------------------------------------------------------

    @property
    def bot_url(self) -> str:
        """`{base_url}/bot{token}`; methods are `{bot_url}/{method}`."""
        return f"{self.base_url}/bot{self.token}"

    def env(self) -> dict[str, str]:
        return {"ZALO_BOT_TOKEN": self.token, "ZALO_API_BASE_URL": self.base_url}

    # ---- test side: incoming -------------------------------------------------------------------

    def make_update(
        self,
        event_name: str,
        user_id: str,
        *,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str | None = None,
        **fields: Any,
    ) -> JSON:
        """An update as Zalo sends it (not queued): `{"event_name", "message": {...}}`."""
        with self._lock:
            name = display_name or self._names.get(user_id) or f"Người dùng {user_id[:6]}"
            self._names[user_id] = name
        message: JSON = {
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": chat_type},
            "message_id": zalo_id(),
            "date": int(self._wall_clock() * 1000),
            **fields,
        }
        return {"event_name": event_name, "message": message}

    def add_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates / the webhook."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def add_user_message(self, user_id: str, text: str, **options: Any) -> JSON:
        """A user types `text` (options: chat_id, chat_type "PRIVATE"|"GROUP", display_name)."""
        return self.add_update(self.make_update("message.text.received", user_id, text=text, **options))

    def add_image(self, user_id: str, photo_url: str, caption: str | None = None, **options: Any) -> JSON:
        fields: JSON = {"photo": photo_url}
        if caption is not None:
            fields["caption"] = caption
        return self.add_update(self.make_update("message.image.received", user_id, **fields, **options))

    def add_sticker(self, user_id: str, sticker: str = "0e078a2fb66a5f34067b", **options: Any) -> JSON:
        return self.add_update(
            self.make_update("message.sticker.received", user_id, sticker=sticker, **options)
        )

    def add_unsupported(self, user_id: str, **options: Any) -> JSON:
        """e.g. a file or a voice message, which bots do not receive."""
        return self.add_update(self.make_update("message.unsupported.received", user_id, **options))

    async def post_update_to_webhook(
        self, url: str, update: JSON, secret_token: str | None, *, timeout: float = 5.0
    ) -> httpx.Response:
        """POST an update to the bot's webhook as Zalo does (wrapped in ok/result, secret header)."""
        headers = {SECRET_HEADER: secret_token} if secret_token is not None else {}
        async with httpx.AsyncClient(timeout=timeout, verify=shared_ssl_context()) as client:
            return await client.post(url, json={"ok": True, "result": update}, headers=headers)

    # ---- test side: failures -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error_code": code, …}`."""
        default = {
            429: "Too Many Requests",
            403: "Forbidden",
            401: "Unauthorized",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(code, "Error")
        failure = Failure(code=code, description=description or default, retry_after=retry_after)
        self._queue_failure(method, failure, times)

    # ---- test side: outgoing -------------------------------------------------------------------

    def messages_to(self, chat_id: str) -> list[str]:
        """Texts successfully sent to `chat_id` with sendMessage."""
        return [
            str(c.params["text"])
            for c in self.calls("sendMessage")
            if c.ok and c.params.get("chat_id") == chat_id
        ]

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    async def wait_for_message(
        self, chat_id: str, contains: str | None = None, *, since: int = 0, timeout: float = 5.0
    ) -> RecordedCall:
        """The first successful sendMessage to `chat_id` (containing `contains`) among `sent[since:]`."""

        def find() -> RecordedCall | None:
            for call in self.sent[since:]:
                if call.method == "sendMessage" and call.ok and call.params.get("chat_id") == chat_id:
                    if contains is None or contains in str(call.params.get("text")):
                        return call
            return None

        return await self.wait_for(find, timeout)

    # ---- server side ---------------------------------------------------------------------------

    def _error(self, error: ApiError) -> Answer:
        return Answer.json(error.payload(), 200 if self.errors_with_http_200 else error.code)

    def _serve(self, request: IncomingRequest) -> Answer:
        path = request.path.rstrip("/")
        if not path.startswith("/bot") or "/" not in path[4:]:
            return self._error(ApiError(404, "Not Found"))
        token, _, raw_method = path[4:].rpartition("/")
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        method = _METHOD_BY_LOWER.get(raw_method.lower(), raw_method)
        try:
            fields, typed, _ = parse_body(request.headers.get("content-type", ""), request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(_bad(str(exc)))
        params: JSON = dict(parse_qsl(request.query, keep_blank_values=True))
        params.update(fields)
        params.update(typed)
        self._request_context.client_gone = request.client_gone

        with self._lock:
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
            if method == "getUpdates":
                self.get_updates_calls += 1
        call = RecordedCall(method=method, params=params, files={}, ok=False)
        if failure is not None and failure.drop:
            self._record(call, ApiError(0, "connection dropped"))
            return Answer(drop=True)
        try:
            if failure is not None:
                raise ApiError(
                    failure.code,
                    failure.description,
                    {"retry_after": failure.retry_after} if failure.retry_after else None,
                )
            handler = getattr(self, f"_m_{method}", None) if method in _METHODS else None
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
        except ClientGone:
            self._record(call, ApiError(0, "the client closed the connection"))
            return Answer(drop=True)
        except ApiError as error:
            self._record(call, error)
            return self._error(error)
        call.ok, call.result = True, None if result is _NO_RESULT else result
        self._record(call, None)
        return Answer.json({"ok": True} if result is _NO_RESULT else {"ok": True, "result": result})

    def _record(self, call: RecordedCall, error: ApiError | None) -> None:
        if error is not None:
            call.ok, call.error_code, call.description = False, error.code or None, error.description
        call.at = time.monotonic()
        with self._lock:
            self._calls.append(call)

    # ---- methods -------------------------------------------------------------------------------

    @staticmethod
    def _chat_id(params: JSON) -> str:
        chat_id = params.get("chat_id")
        if chat_id is None or not str(chat_id).strip():
            raise _bad("chat_id is required")
        return str(chat_id)

    @staticmethod
    def _text(params: JSON, key: str, required: bool) -> None:
        value = params.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not 1 <= len(value) <= TEXT_LIMIT:
            raise _bad(f"{key} must be a string of 1 to {TEXT_LIMIT} characters")

    def _sent_message(self) -> JSON:
        return {"message_id": zalo_id(), "date": int(self._wall_clock() * 1000)}

    def _m_getMe(self, params: JSON) -> JSON:
        return dict(self.bot_info)

    def _m_getUpdates(self, params: JSON) -> JSON:
        try:
            timeout = float(params.get("timeout") if params.get("timeout") not in (None, "") else 30)
        except (TypeError, ValueError):
            raise _bad("timeout must be a number of seconds") from None
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._changed:
            if self._webhook.get("url"):
                raise ApiError(409, "Conflict: webhook is active, use deleteWebhook first")
            while True:
                if self._updates:
                    return self._updates.popleft()
                remaining = deadline - time.monotonic()
                if self._stopping or remaining <= 0:
                    self.timeouts += 1
                    raise ApiError(408, "Request timeout")
                self._changed.wait(min(remaining, 0.1))
                if not self._updates and self._request_context.client_gone():
                    raise ClientGone

    def _m_sendMessage(self, params: JSON) -> JSON:
        self._chat_id(params)
        self._text(params, "text", required=True)
        return self._sent_message()

    def _m_sendPhoto(self, params: JSON) -> JSON:
        self._chat_id(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise _bad("photo must be an image URL")
        self._text(params, "caption", required=False)
        return self._sent_message()

    def _m_sendSticker(self, params: JSON) -> JSON:
        self._chat_id(params)
        if not str(params.get("sticker") or "").strip():
            raise _bad("sticker is required")
        return self._sent_message()

    def _m_sendChatAction(self, params: JSON) -> object:
        self._chat_id(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise _bad("action must be typing or upload_photo")
        return _NO_RESULT

    def _m_setWebhook(self, params: JSON) -> JSON:
        url = str(params.get("url") or "")
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise _bad("url must be an HTTPS URL")
        secret = params.get("secret_token")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _bad("secret_token must be 8 to 256 characters")
        with self._changed:
            self._webhook = {"url": url, "secret_token": secret, "updated_at": int(self._wall_clock() * 1000)}
            self._changed.notify_all()
            if self._webhook_thread is None or not self._webhook_thread.is_alive():
                self._webhook_thread = threading.Thread(target=self._push_to_webhook, daemon=True)
                self._webhook_thread.start()
            return {"url": url, "updated_at": self._webhook["updated_at"]}

    def _m_deleteWebhook(self, params: JSON) -> JSON:
        with self._changed:
            self._webhook = {"url": "", "updated_at": int(self._wall_clock() * 1000)}
            self._changed.notify_all()
            return dict(self._webhook)

    def _m_getWebhookInfo(self, params: JSON) -> JSON:
        with self._lock:
            return {"url": self._webhook.get("url", ""), "updated_at": self._webhook.get("updated_at", 0)}

    def _push_to_webhook(self) -> None:
        """While a webhook is set, POST queued updates to it in order; a 2xx answer confirms one."""
        while True:
            with self._changed:
                while not self._stopping and self._webhook.get("url") and not self._updates:
                    self._changed.wait(0.5)
                if self._stopping or not self._webhook.get("url"):
                    return
                update, webhook = self._updates[0], dict(self._webhook)
            request = urllib.request.Request(
                webhook["url"],
                data=json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json", SECRET_HEADER: webhook["secret_token"]},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    delivered = 200 <= response.status < 300
            except OSError:
                delivered = False
            with self._changed:
                if delivered and self._updates and self._updates[0] is update:
                    self._updates.popleft()
                elif not delivered:
                    self._changed.wait(0.05)
