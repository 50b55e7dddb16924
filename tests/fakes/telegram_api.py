"""A stand-in Telegram Bot API server for end-to-end tests (stdlib only, runs on 127.0.0.1).

The tests drive the REAL python-telegram-bot `Application`/`Bot` over HTTP against this server,
so what is tested is what production does: request encoding, retries, error handling, polling.

How to point python-telegram-bot at it (PTB builds `{base_url}{token}/{method}`)::

    with FakeTelegramAPI() as api:
        bot = telegram.Bot(api.token, base_url=f"{api.base_url}/bot",
                           base_file_url=f"{api.base_url}/file/bot")
        app = (ApplicationBuilder().token(api.token)
               .base_url(f"{api.base_url}/bot")            # == api.bot_api_url
               .base_file_url(f"{api.base_url}/file/bot")  # == api.file_api_url
               .build())

`api.bot()` is that Bot, and `fast_request()` is an optional `HTTPXRequest` for
`Bot(request=…)` / `ApplicationBuilder().request(…).get_updates_request(…)` that skips httpx's
~80 ms SSL setup per client (the stand-in speaks plain HTTP anyway).

The production code accepts `TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT` (== `api.base_url`,
no trailing slash) and builds `f"{TELEGRAM_API_BASE_URL}/bot"` and `.../file/bot` itself;
`api.env()` returns both environment variables.

What it does like Telegram (https://core.telegram.org/bots/api):
- `POST|GET /bot<TOKEN>/<method>` with JSON, form-encoded or multipart bodies (PTB 22 sends
  form-encoded fields, every non-string value JSON-dumped, and multipart when a file is uploaded).
  Method names are case-insensitive. A wrong token answers 401, an unknown method 404.
- Errors answer with the HTTP status equal to `error_code` (PTB maps the status to exceptions:
  400 BadRequest, 403 Forbidden, 409 Conflict, 429 RetryAfter when `parameters.retry_after`).
- getUpdates: long polling honours `offset` (earlier updates are confirmed and dropped; negative
  offsets count from the end), `limit`, `timeout` and `allowed_updates` (remembered between
  calls); a newer getUpdates ends a waiting one with 409 Conflict; getUpdates while a webhook is
  set answers 409 too.
- sendMessage / editMessageText validate like Telegram: empty text, > 4096 characters,
  `parse_mode=HTML` with unsupported or unbalanced tags, `MarkdownV2` with unescaped reserved
  characters, callback_data longer than 64 bytes (BUTTON_DATA_INVALID), edits that change
  nothing ("message is not modified"), unknown messages. `text` in answers is the plain text the
  user sees (markup removed, entities listed). editMessageText without reply_markup removes the
  inline keyboard, as Telegram does.
- setWebhook makes the server POST pending updates to that URL (header
  `X-Telegram-Bot-Api-Secret-Token`), deleteWebhook(drop_pending_updates) stops it.

A long poll whose client goes away (PTB cancelling it on stop) ends within 0.1 s and is recorded
as a failed getUpdates ("the client closed the connection").

Test-side helpers are thread-safe; see `FakeTelegramAPI`. Failure injection: `fail_next`,
`drop_next`, `block_user`; rate limits: `enforce_limits=True` (see `RateLimits`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import mimetypes
import re
import select
import socket
import ssl
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, unquote

JSON = dict[str, Any]
T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# HTTP plumbing, shared with the Zalo stand-in
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what the bot uploaded)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class IncomingRequest:
    """One HTTP request as the stand-in sees it."""

    verb: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client_gone: Callable[[], bool] = lambda: False  # True once the client closed its connection


@dataclass
class Answer:
    """What to send back; `drop=True` closes the connection without any answer (a network error)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    drop: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Answer:
        return cls(status=status, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class BackgroundHTTPServer:
    """A ThreadingHTTPServer on 127.0.0.1 (ephemeral port) that hands every request to `serve`."""

    def __init__(self, serve: Callable[[IncomingRequest], Answer]) -> None:
        self._serve = serve
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return self._server.server_address[1]

    def start(self) -> None:
        if self._server is not None:
            return
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # answers go out as two writes (head, body); without this Nagle + delayed ACK add 40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with owner._connections_lock:
                    owner._connections.add(self.connection)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with owner._connections_lock:
                        owner._connections.discard(self.connection)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                request = IncomingRequest(
                    verb=self.command,
                    path=unquote(path),
                    query=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self._read_body(),
                    client_gone=self._client_gone,
                )
                try:
                    answer = owner._serve(request)
                except Exception as exc:  # a bug in the stand-in must show up as a 500, not a hang
                    answer = Answer.json(
                        {"ok": False, "error_code": 500, "description": f"Internal Server Error: {exc!r}"},
                        status=500,
                    )
                if answer.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                try:
                    self.wfile.write(answer.body)
                except OSError:  # the client went away (e.g. a cancelled long poll)
                    self.close_connection = True

            def _client_gone(self) -> bool:
                # a long poll whose client went away must not swallow an update
                try:
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = _handle
            do_POST = _handle

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:  # keep-alive clients would otherwise pin handler threads
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)


_PARAM = re.compile(r'([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')


def _header_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, quoted, bare in _PARAM.findall(value):
        raw = quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted else bare
        if key.endswith("*") and "''" in raw:  # RFC 5987: utf-8''percent-encoded
            charset, _, encoded = raw.partition("''")
            params[key[:-1]] = unquote(encoded, encoding=charset or "utf-8")
        else:
            params.setdefault(key.lower(), raw)
    return params


def parse_body(
    content_type: str, body: bytes
) -> tuple[list[tuple[str, str]], dict[str, Any], list[UploadedFile]]:
    """Split a request body into (form fields as strings, JSON fields already typed, uploaded files).

    Handles the three encodings the Bot APIs accept: `application/json`,
    `application/x-www-form-urlencoded` and `multipart/form-data` (parsed by hand so binary file
    content is never altered).
    """
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return [], {}, []
    if kind == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return [], data, []
    if kind == "multipart/form-data":
        boundary = _header_params(content_type).get("boundary")
        if not boundary:
            raise ValueError("multipart body without boundary")
        fields: list[tuple[str, str]] = []
        files: list[UploadedFile] = []
        for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
            if part.startswith(b"--"):
                break
            if part.startswith(b"\r\n"):
                part = part[2:]
            head, _, content = part.partition(b"\r\n\r\n")
            if content.endswith(b"\r\n"):
                content = content[:-2]
            headers: dict[str, str] = {}
            for line in head.decode("utf-8", "replace").split("\r\n"):
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            disposition = _header_params(headers.get("content-disposition", ""))
            name = disposition.get("name", "")
            if "filename" in disposition:
                files.append(
                    UploadedFile(
                        field=name,
                        filename=disposition["filename"],
                        content_type=headers.get("content-type", "application/octet-stream"),
                        data=content,
                    )
                )
            else:
                fields.append((name, content.decode("utf-8")))
        return fields, {}, files
    # application/x-www-form-urlencoded, and anything unlabelled
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True), {}, []


_SHARED_SSL_CONTEXT: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One SSL context for every test client: httpx builds a new one per client (~80 ms each)."""
    global _SHARED_SSL_CONTEXT
    if _SHARED_SSL_CONTEXT is None:
        _SHARED_SSL_CONTEXT = ssl.create_default_context()
    return _SHARED_SSL_CONTEXT


def fast_request(**kwargs: Any) -> Any:
    """A PTB `HTTPXRequest` that skips the per-client SSL setup (for `Bot(request=…)` or
    `ApplicationBuilder().request(…).get_updates_request(…)`); behaviour is otherwise PTB's default."""
    from telegram.request import HTTPXRequest

    return HTTPXRequest(httpx_kwargs={"verify": shared_ssl_context()}, **kwargs)


async def wait_until(
    check: Callable[[], T | None], timeout: float, describe: Callable[[], str], interval: float = 0.01
) -> T:
    """Poll `check` until it returns something truthy; TimeoutError (with `describe()`) otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing matched within {timeout}s; {describe()}")
        await asyncio.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------------------------

DEFAULT_TOKEN = "123456789:TEST-TOKEN-nhacviec"

# Calls that are plumbing rather than something a user would see; `sent` leaves them out.
HOUSEKEEPING_METHODS = frozenset(
    {
        "getUpdates", "getMe", "deleteWebhook", "setWebhook", "getWebhookInfo", "close", "logOut",
        "getMyCommands", "setMyCommands", "deleteMyCommands", "getFile", "getChat",
    }
)  # fmt: skip

_METHODS = (
    "getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
    "answerCallbackQuery", "sendPhoto", "sendDocument", "sendChatAction", "getFile",
    "setMyCommands", "getMyCommands", "deleteMyCommands", "deleteWebhook", "setWebhook",
    "getWebhookInfo", "getChat", "deleteMessage", "close", "logOut",
)  # fmt: skip
_METHOD_BY_LOWER = {m.lower(): m for m in _METHODS}

_RATE_LIMITED_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})

# Parameters that are always strings; every other form value is JSON-decoded when it parses.
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "file_id", "url", "secret_token",
        "action", "language_code", "inline_message_id", "photo", "document", "name",
        "description", "short_description", "title", "ip_address", "business_connection_id",
    }
)  # fmt: skip

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """An error answer of the Bot API (`{"ok": false, "error_code": …, "description": …}`)."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class ClientGone(Exception):
    """The client closed the connection while a long poll was waiting."""


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class RecordedCall:
    """One API call the bot made, with its parsed parameters and what the stand-in answered."""

    method: str
    params: JSON
    files: dict[str, UploadedFile]
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    at: float = 0.0  # time.monotonic() when answered

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """What the user sees: the plain text (or caption) of the resulting message."""
        if isinstance(self.result, dict) and ("text" in self.result or "caption" in self.result):
            return self.result.get("text", self.result.get("caption"))
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    @property
    def buttons(self) -> list[list[JSON]]:
        """Rows of inline keyboard buttons sent with this call ([] when none)."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, dict):
            return markup.get("inline_keyboard") or []
        return []

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass(frozen=True)
class Failure:
    """An injected failure for the next call(s) of one method."""

    code: int = 0
    description: str = ""
    retry_after: int | None = None
    drop: bool = False


@dataclass(frozen=True)
class RateLimits:
    """Telegram's documented rough limits (https://core.telegram.org/bots/faq#broadcasting-to-users)."""

    global_per_second: int = 30
    private_chat_per_second: int = 1
    group_per_minute: int = 20


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: a few tags only, properly nested; yields plain text + entities."""

    TAGS = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
        "a": "text_link", "code": "code", "pre": "pre", "tg-spoiler": "spoiler", "span": "spoiler",
        "blockquote": "blockquote", "tg-emoji": "custom_emoji",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[JSON] = []
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.TAGS:
            raise _bad(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.stack.append((tag, utf16_len(self.text), dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise _bad(f'can\'t parse entities: Unmatched end tag "{tag}"')
        _, start, attrs = self.stack.pop()
        length = utf16_len(self.text) - start
        if length:
            entity: JSON = {"type": self.TAGS[tag], "offset": start, "length": length}
            if tag == "a":
                entity["url"] = attrs.get("href") or ""
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data

    def parse(self, markup: str) -> tuple[str, list[JSON]]:
        self.feed(markup)
        self.close()
        if self.stack:
            raise _bad(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{self.stack[-1][0]}\""
            )
        return self.text, sorted(self.entities, key=lambda e: e["offset"])


_MDV2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(markup: str) -> tuple[str, list[JSON]]:
    """Telegram's MarkdownV2: every reserved character outside an entity must be escaped with `\\`."""
    out: list[str] = []
    entities: list[JSON] = []
    open_marks: dict[str, int] = {}
    link_start: int | None = None
    i = 0
    at_line_start = True

    def pos() -> int:
        return utf16_len("".join(out))

    while i < len(markup):
        ch = markup[i]
        if ch == "\\":
            if i + 1 >= len(markup):
                raise _bad(
                    "can't parse entities: Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.append(markup[i + 1])
            i += 2
            at_line_start = False
            continue
        if markup.startswith("```", i):
            end = markup.find("```", i + 3)
            if end < 0:
                raise _bad("can't parse entities: Can't find end of Pre entity")
            body = markup[i + 3 : end]
            language, newline, code = body.partition("\n")
            code = code if newline else body
            start = pos()
            out.append(code.replace("\\`", "`").replace("\\\\", "\\"))
            entities.append({"type": "pre", "offset": start, "length": pos() - start})
            i = end + 3
            continue
        if ch == "`":
            end = i + 1
            while end < len(markup) and markup[end] != "`":
                end += 2 if markup[end] == "\\" else 1
            if end >= len(markup):
                raise _bad("can't parse entities: Can't find end of Code entity")
            start = pos()
            out.append(markup[i + 1 : end].replace("\\`", "`").replace("\\\\", "\\"))
            entities.append({"type": "code", "offset": start, "length": pos() - start})
            i = end + 1
            continue
        marker = next((m for m in ("__", "||") if markup.startswith(m, i)), ch if ch in "*_~" else None)
        if marker:
            if marker in open_marks:
                start = open_marks.pop(marker)
                if pos() > start:
                    entities.append({"type": _MDV2_MARKERS[marker], "offset": start, "length": pos() - start})
            else:
                open_marks[marker] = pos()
            i += len(marker)
            continue
        if ch == "[" and link_start is None:
            link_start = pos()
            i += 1
            continue
        if ch == "]" and link_start is not None:
            if not markup.startswith("(", i + 1):
                raise _bad(
                    "can't parse entities: Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            end = markup.find(")", i + 2)
            if end < 0:
                raise _bad("can't parse entities: Can't find end of a URL")
            entities.append(
                {
                    "type": "text_link",
                    "offset": link_start,
                    "length": pos() - link_start,
                    "url": markup[i + 2 : end],
                }
            )
            link_start = None
            i = end + 1
            continue
        if ch == ">" and at_line_start:
            i += 1
            at_line_start = False
            continue
        if ch in _MDV2_RESERVED:
            raise _bad(
                f"can't parse entities: Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(ch)
        at_line_start = ch == "\n"
        i += 1
    if open_marks or link_start is not None:
        kind = _MDV2_MARKERS[next(iter(open_marks))] if open_marks else "TextUrl"
        raise _bad(f"can't parse entities: Can't find end of {kind.capitalize()} entity")
    return "".join(out), sorted(entities, key=lambda e: e["offset"])


def render_text(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """Plain text + entities the user sees, or ApiError as Telegram would refuse the markup."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _TelegramHTML().parse(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    return text, []  # plain, and legacy "Markdown" (not validated)


_COMMAND_RE = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")


def message_entities(text: str) -> list[JSON]:
    """The entities Telegram's clients attach to what a user types: /commands and @mentions."""
    found: list[tuple[int, int, str]] = []
    for match in _COMMAND_RE.finditer(text):
        found.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION_RE.finditer(text):
        if not any(s <= match.start() < e for s, e, _ in found):
            found.append((match.start(), match.end(), "mention"))
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in sorted(found)
    ]


def _decode_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class Faults:
    """How a stand-in misbehaves on its send methods (sendMessage, sendPhoto), like real networks.

    Set `api.faults = Faults(...)`; `times` limits it to the next N sends (None: until cleared
    with `api.faults = None`).
    - `delay`: deliver, then answer this many seconds late (slow, or past the client's timeout:
      "slow answers after delivery");
    - `reset_after_delivery`: deliver, then cut the connection without an answer;
    - `status` (+ `retry_after`): answer this error WITHOUT delivering (a burst of 500, an outage,
      a 429 storm);
    - `hang`: wait this long, then cut the connection WITHOUT delivering (a timeout);
    - `refuse`: cut the connection at once WITHOUT delivering (a connection reset).
    """

    delay: float = 0.0
    reset_after_delivery: bool = False
    status: int | None = None
    retry_after: int | None = None
    hang: float = 0.0
    refuse: bool = False
    times: int | None = None


SEND_METHODS = frozenset({"sendmessage", "sendphoto"})


class StandInAPI:
    """What both stand-ins (Telegram, Zalo) share: lifecycle, recorded calls, failures, waiting.

    Subclasses set `_http`, `_lock`, `_changed`, `_calls`, `_failures`, `_webhook`,
    `_webhook_thread` and `_stopping` in their `__init__`, and name their methods in
    `METHODS_BY_LOWER` and the calls a user would not notice in `HOUSEKEEPING`.
    """

    METHODS_BY_LOWER: dict[str, str] = {}
    HOUSEKEEPING: frozenset[str] = frozenset()
    _http: BackgroundHTTPServer
    _lock: threading.RLock
    _changed: threading.Condition
    _calls: list[RecordedCall]
    _failures: dict[str, deque[Failure]]
    _webhook: JSON
    _webhook_thread: threading.Thread | None
    _stopping: bool

    # ---- lifecycle -----------------------------------------------------------------------------

    faults: Faults | None = None
    faulted: int = 0  # send calls a fault was applied to

    def start(self) -> Self:
        self._stopping = False
        self._http._serve = self._serve_with_faults
        self._http.start()
        return self

    def _serve_with_faults(self, request: IncomingRequest) -> Answer:
        method = request.path.rstrip("/").rsplit("/", 1)[-1].lower()
        with self._lock:
            faults = self.faults
            if faults is None or method not in SEND_METHODS:
                faults = None
            else:
                self.faulted += 1
                if faults.times is not None:
                    faults.times -= 1
                    if faults.times <= 0:
                        self.faults = None
        if faults is None:
            return self._serve(request)  # type: ignore[attr-defined]
        if faults.refuse:
            return Answer(drop=True)
        if faults.hang:
            time.sleep(faults.hang)
            return Answer(drop=True)
        if faults.status is not None:
            payload: JSON = {"ok": False, "error_code": faults.status, "description": "Injected failure"}
            if faults.retry_after is not None:
                payload["parameters"] = {"retry_after": faults.retry_after}
            return Answer.json(payload, faults.status)
        answer = self._serve(request)  # type: ignore[attr-defined]
        if faults.delay:
            time.sleep(faults.delay)
        if faults.reset_after_delivery:
            return Answer(drop=True)
        return answer

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._http.stop()
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout=2)
            self._webhook_thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` — the value for TELEGRAM_API_BASE_URL / ZALO_API_BASE_URL."""
        return f"http://127.0.0.1:{self._http.port}"

    # ---- test side: failures -------------------------------------------------------------------

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get no answer: the connection is closed (NetworkError)."""
        self._queue_failure(method, Failure(drop=True), times)

    def _queue_failure(self, method: str, failure: Failure, times: int) -> None:
        name = self.METHODS_BY_LOWER.get(method.lower(), method)
        with self._lock:
            self._failures.setdefault(name, deque()).extend([failure] * times)

    # ---- test side: outgoing -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every recorded call (of `method`, if given), in order, failed ones included."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    @property
    def sent(self) -> list[RecordedCall]:
        """Recorded calls a user could notice (messages, edits, photos…), failed ones included."""
        with self._lock:
            return [c for c in self._calls if c.method not in self.HOUSEKEEPING]

    @property
    def webhook(self) -> JSON:
        with self._lock:
            return dict(self._webhook)

    # ---- test side: waiting --------------------------------------------------------------------

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait (polling every 10 ms) until `check()` is truthy; returns its value."""
        return await wait_until(check, timeout, self._describe)

    async def wait_for_sent(
        self, expected: int | Callable[[RecordedCall], bool], timeout: float = 5.0
    ) -> list[RecordedCall] | RecordedCall:
        """An int: wait until `sent` has that many calls, return them. A predicate: the first match."""
        if isinstance(expected, int):
            return await self.wait_for(lambda: s if len(s := self.sent) >= expected else None, timeout)
        return await self.wait_for(lambda: next((c for c in self.sent if expected(c)), None), timeout)

    def _describe(self) -> str:
        lines = [f"{c.method} {c.params!r} -> {'ok' if c.ok else c.error_code}" for c in self.sent[-15:]]
        return "recorded calls:\n  " + ("\n  ".join(lines) if lines else "(none)")


class FakeTelegramAPI(StandInAPI):
    """Stand-in Telegram Bot API on 127.0.0.1; use as a context manager or with start()/stop().

    Test side (thread-safe, callable from the event loop while PTB talks to the server):
    - incoming: `add_user_message`, `add_document`, `add_photo`, `press_button`, `add_update`;
    - outgoing: `sent`, `calls(method)`, `messages_to(chat_id)`, `last_message_to(chat_id)`,
      `message(chat_id, message_id)` (current state after edits), `uploaded_file(call)`;
    - waiting: `await wait_for(check)`, `await wait_for_sent(count | predicate)`,
      `await wait_for_message(chat_id, contains)`;
    - failures: `fail_next`, `drop_next`, `block_user`; counters: `get_updates_calls`,
      `rate_limited`, `conflicts`, `pending_updates`.
    """

    METHODS_BY_LOWER = _METHOD_BY_LOWER
    HOUSEKEEPING = HOUSEKEEPING_METHODS

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "nhacviec_test_bot",
        bot_first_name: str = "Nhắc Việc",
        enforce_limits: bool = False,
        limits: RateLimits = RateLimits(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        first_update_id: int = 1,
    ) -> None:
        self.token = token
        bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123456789
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.enforce_limits = enforce_limits
        self.limits = limits
        self._clock = clock
        self._wall_clock = wall_clock
        self._http = BackgroundHTTPServer(self._serve)
        self._request_context = threading.local()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = False
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(first_update_id)  # a new run on an old database: higher ids
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._chats: dict[int, JSON] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._callback_queries: dict[str, JSON] = {}
        self._answered_callbacks: dict[str, JSON] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._webhook: JSON = {}
        self._webhook_thread: threading.Thread | None = None
        self._calls: list[RecordedCall] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}  # old group id → its supergroup's id
        self._sends_global: deque[float] = deque()
        self._sends_by_chat: dict[int, deque[float]] = {}
        self.get_updates_calls = 0
        self.rate_limited = 0
        self.conflicts = 0

    # ---- lifecycle -----------------------------------------------------------------------------

    @property
    def bot_api_url(self) -> str:
        """PTB's `base_url` (PTB appends the token, then `/<method>`)."""
        return f"{self.base_url}/bot"

    @property
    def file_api_url(self) -> str:
        """PTB's `base_file_url`."""
        return f"{self.base_url}/file/bot"

    def bot(self) -> Any:
        """A `telegram.Bot` talking to this server (use it as `async with api.bot() as bot:`)."""
        import telegram

        return telegram.Bot(
            self.token,
            base_url=self.bot_api_url,
            base_file_url=self.file_api_url,
            request=fast_request(),
            get_updates_request=fast_request(),
        )

    def env(self) -> dict[str, str]:
        """Environment for the production code to talk to this server."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_API_BASE_URL": self.base_url}

    # ---- test side: incoming -------------------------------------------------------------------

    def add_update(self, update: JSON) -> JSON:
        """Queue a raw update (its update_id is assigned here) for getUpdates / the webhook."""
        with self._changed:
            update = {
                "update_id": next(self._update_ids),
                **{k: v for k, v in update.items() if k != "update_id"},
            }
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def add_user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        reply_to: RecordedCall | JSON | None = None,
        chat_title: str | None = None,
    ) -> JSON:
        """A user types `text`; /commands and @mentions get their entities. Returns the update.

        In a group (`chat_type="group"|"supergroup"`) `chat_id` defaults to `-user_id`.
        """
        return self.add_update(
            self.make_user_update(
                user_id,
                text,
                chat_id=chat_id,
                chat_type=chat_type,
                username=username,
                first_name=first_name,
                last_name=last_name,
                reply_to=reply_to,
                chat_title=chat_title,
            )
        )

    def make_user_update(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        reply_to: RecordedCall | JSON | None = None,
        chat_title: str | None = None,
    ) -> JSON:
        """The update `add_user_message` queues, with its update_id, but NOT queued: a test that
        plays Telegram and a load balancer delivers it itself (tests/fakes/webhooks.py)."""
        with self._lock:
            message = self._user_message(
                user_id, chat_id, chat_type, username, first_name, last_name, chat_title, reply_to
            )
            message["text"] = text
            entities = message_entities(text)
            if entities:
                message["entities"] = entities
            return {"update_id": next(self._update_ids), "message": message}

    def add_document(
        self,
        user_id: int,
        file_bytes: bytes,
        file_name: str,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        mime_type: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A user sends a file; it can then be fetched with getFile + download. Returns the update."""

        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        with self._lock:
            stored = self._store_file(file_bytes, "documents", file_name, mime)
            message = self._user_message(user_id, chat_id, chat_type, username, first_name, None, None, None)
            message["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime,
                "file_size": len(file_bytes),
            }
            if caption is not None:
                message["caption"] = caption
                entities = message_entities(caption)
                if entities:
                    message["caption_entities"] = entities
        return self.add_update({"message": message})

    def add_photo(
        self, user_id: int, image_bytes: bytes, caption: str | None = None, *, chat_id: int | None = None
    ) -> JSON:
        """A user sends a photo (one size). Returns the update."""
        with self._lock:
            stored = self._store_file(image_bytes, "photos", "photo.jpg", "image/jpeg")
            message = self._user_message(user_id, chat_id, "private", None, None, None, None, None)
            message["photo"] = [self._photo_size(stored)]
            if caption is not None:
                message["caption"] = caption
        return self.add_update({"message": message})

    def press_button(
        self,
        user_id: int,
        message: RecordedCall | JSON | int,
        data: str,
        *,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> JSON:
        """The user presses an inline button with `data` under a message the bot sent.

        `message` is a RecordedCall (e.g. from `wait_for_message`), a Message dict, or a message_id
        (then `chat_id` defaults to `user_id`). With `strict`, `data` must be one of the message's
        current buttons (ValueError otherwise) — a user cannot press a button that is not there.
        """
        with self._lock:
            key = self._message_key(message, chat_id if chat_id is not None else user_id)
            current = self._messages.get(key)
            if current is None:
                raise ValueError(f"no message {key} (chat_id, message_id) was sent")
            if strict:
                offered = [
                    b.get("callback_data")
                    for row in (current.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ]
                if data not in offered:
                    raise ValueError(f"message {key} has no button with data {data!r}; buttons: {offered}")
            query_id = str(next(self._callback_ids))
            query = {
                "id": query_id,
                "from": self._user(user_id),
                "message": json.loads(json.dumps(current)),
                "chat_instance": f"ci{key[0]}",
                "data": data,
            }
            self._callback_queries[query_id] = query
        return self.add_update({"callback_query": query})

    def block_user(self, chat_id: int, blocked: bool = True) -> None:
        """From now on every send to `chat_id` answers 403 "Forbidden: bot was blocked by the user"."""
        with self._lock:
            (self._blocked.add if blocked else self._blocked.discard)(chat_id)

    def migrate_group(self, old_chat_id: int, new_chat_id: int, *, by_user: int, announce: bool = True) -> None:
        """The group `old_chat_id` is upgraded to the supergroup `new_chat_id`, as Telegram does it:
        sends to the old id answer 400 with `migrate_to_chat_id`, and (with `announce`) the service
        messages arrive — `migrate_to_chat_id` in the old chat, `migrate_from_chat_id` in the new one."""
        with self._lock:
            self._migrated[old_chat_id] = new_chat_id
            old_chat = self._chat(old_chat_id, "group")
            new_chat = dict(old_chat, id=new_chat_id, type="supergroup")
            self._chats[new_chat_id] = new_chat
            user = self._user(by_user)
            now = int(self._wall_clock())
            first = {
                "message_id": self._next_message_id(old_chat_id),
                "from": user,
                "chat": old_chat,
                "date": now,
                "migrate_to_chat_id": new_chat_id,
            }
            second = {
                "message_id": self._next_message_id(new_chat_id),
                "from": user,
                "chat": dict(new_chat),
                "date": now,
                "migrate_from_chat_id": old_chat_id,
            }
        if announce:
            self.add_update({"message": first})
            self.add_update({"message": second})

    # ---- test side: failures -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        code: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail with `code` (`retry_after` is used for 429 only).

        429 → `{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
        "parameters": {"retry_after": N}}`; 403 → "Forbidden: bot was blocked by the user".
        """
        after = retry_after if code == 429 else None
        if description is None:
            description = (
                f"Too Many Requests: retry after {after}"
                if code == 429
                else _DEFAULT_DESCRIPTIONS.get(code, "Error")
            )
        self._queue_failure(method, Failure(code=code, description=description, retry_after=after), times)

    # ---- test side: outgoing -------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[str]:
        """Texts of the messages successfully sent to `chat_id` by sendMessage, as the user sees them."""
        return [
            c.result["text"] for c in self.calls("sendMessage") if c.ok and c.result["chat"]["id"] == chat_id
        ]

    def last_message_to(self, chat_id: int) -> RecordedCall | None:
        sends = [
            c
            for c in self.sent
            if c.ok and isinstance(c.result, dict) and c.result.get("chat", {}).get("id") == chat_id
        ]
        return sends[-1] if sends else None

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The message as it is now (after edits), or None."""
        with self._lock:
            found = self._messages.get((chat_id, message_id))
            return json.loads(json.dumps(found)) if found else None

    def callback_answers(self) -> dict[str, JSON]:
        """answerCallbackQuery parameters by callback query id."""
        with self._lock:
            return dict(self._answered_callbacks)

    def uploaded_file(self, call: RecordedCall) -> UploadedFile | None:
        """The file the bot uploaded in a sendDocument/sendPhoto call, if it uploaded one."""
        return next(iter(call.files.values()), None)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._lock:
            return list(self._commands.get((self._scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    # ---- test side: waiting --------------------------------------------------------------------

    async def wait_for_message(
        self, chat_id: int, contains: str | None = None, *, since: int = 0, timeout: float = 5.0
    ) -> RecordedCall:
        """The first successful sendMessage to `chat_id` (containing `contains`) among `sent[since:]`."""

        def find() -> RecordedCall | None:
            for call in self.sent[since:]:
                if call.method == "sendMessage" and call.ok and call.result["chat"]["id"] == chat_id:
                    if contains is None or contains in call.result["text"]:
                        return call
            return None

        return await self.wait_for(find, timeout)

    # ---- server side ---------------------------------------------------------------------------

    def _serve(self, request: IncomingRequest) -> Answer:
        if request.path.startswith("/file/bot"):
            return self._serve_file(request.path[len("/file/bot") :])
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)/?", request.path)
        if not match:
            return Answer.json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        token, raw_method = match.groups()
        if token != self.token:
            return Answer.json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = _METHOD_BY_LOWER.get(raw_method.lower(), raw_method)
        try:
            fields, typed, uploads = parse_body(request.headers.get("content-type", ""), request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            return Answer.json({"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}, 400)
        params: JSON = {k: _decode_value(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True)}
        params.update({k: _decode_value(k, v) for k, v in fields})
        params.update(typed)
        files = {f.field: f for f in uploads}

        self._request_context.client_gone = request.client_gone
        with self._lock:
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
            if method == "getUpdates":
                self.get_updates_calls += 1
        call = RecordedCall(method=method, params=params, files=files, ok=False)
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
            if method in _RATE_LIMITED_METHODS:
                self._check_send_allowed(params)
            result = handler(params, files)
        except ClientGone:
            self._record(call, ApiError(0, "the client closed the connection"))
            return Answer(drop=True)
        except ApiError as error:
            self._record(call, error)
            return Answer.json(error.payload(), error.code)
        call.ok, call.result = True, result
        self._record(call, None)
        return Answer.json({"ok": True, "result": result})

    def _record(self, call: RecordedCall, error: ApiError | None) -> None:
        if error is not None:
            call.ok, call.error_code, call.description = False, error.code or None, error.description
        call.at = time.monotonic()
        with self._lock:
            self._calls.append(call)

    def _serve_file(self, rest: str) -> Answer:
        token, _, path = rest.partition("/")
        with self._lock:
            stored = self._files_by_path.get(path) if token == self.token else None
        if stored is None:
            return Answer.json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return Answer(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ---- helpers (call with the lock held) -----------------------------------------------------

    def _user(
        self,
        user_id: int,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        user: JSON = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"Người dùng {user_id}",
            "language_code": "vi",
        }
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        return user

    def _chat(
        self, chat_id: int, chat_type: str | None = None, title: str | None = None, user: JSON | None = None
    ) -> JSON:
        chat = self._chats.get(chat_id)
        if chat is None:
            kind = chat_type or (
                "private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group"
            )
            chat = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = (user or {}).get("first_name", f"Người dùng {chat_id}")
                if user and user.get("username"):
                    chat["username"] = user["username"]
            else:
                chat["title"] = title or f"Nhóm {chat_id}"
            self._chats[chat_id] = chat
        return dict(chat)

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        chat_type: str,
        username: str | None,
        first_name: str | None,
        last_name: str | None,
        chat_title: str | None,
        reply_to: RecordedCall | JSON | None,
    ) -> JSON:
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -abs(user_id)
        user = self._user(user_id, username, first_name, last_name)
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": self._chat(chat_id, chat_type, chat_title, user),
            "date": int(self._wall_clock()),
        }
        if reply_to is not None:
            replied = self._messages.get(self._message_key(reply_to, chat_id))
            if replied is not None:
                message["reply_to_message"] = replied
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _message_key(self, message: RecordedCall | JSON | int, chat_id: int) -> tuple[int, int]:
        if isinstance(message, RecordedCall):
            message = message.result
        if isinstance(message, dict):
            return (message["chat"]["id"], message["message_id"])
        return (chat_id, int(message))

    def _store_file(self, data: bytes, folder: str, file_name: str, mime: str | None) -> StoredFile:
        number = next(self._file_numbers)
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"FILE{number:06d}-{folder}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}.{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _photo_size(stored: StoredFile) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 800,
            "height": 600,
            "file_size": len(stored.data),
        }

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _chat_id(self, params: JSON) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise _bad("chat not found") from None
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id == 0:
            raise _bad("chat not found")
        return chat_id

    @staticmethod
    def _check_markup(markup: Any) -> JSON | None:
        """Validate a reply_markup; return it when it is an inline keyboard (echoed in the Message)."""
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        for row in rows:
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise _bad("text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                elif not any(
                    k in button
                    for k in (
                        "url",
                        "web_app",
                        "login_url",
                        "switch_inline_query",
                        "switch_inline_query_current_chat",
                        "copy_text",
                        "pay",
                        "callback_game",
                    )
                ):
                    raise _bad("BUTTON_TYPE_INVALID")
        return markup

    def _check_send_allowed(self, params: JSON) -> None:
        """`enforce_limits`: 30 messages/s overall, 1/s per private chat, 20/min per group."""
        if not self.enforce_limits:
            return
        chat_id = params.get("chat_id")
        try:
            chat_id = int(chat_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        now = self._clock()
        is_group = chat_id < 0
        window, limit = (
            (60.0, self.limits.group_per_minute) if is_group else (1.0, self.limits.private_chat_per_second)
        )
        with self._lock:
            chat_sends = self._sends_by_chat.setdefault(chat_id, deque())
            for sends, span in ((self._sends_global, 1.0), (chat_sends, window)):
                while sends and sends[0] <= now - span:
                    sends.popleft()
            waits = []
            if len(self._sends_global) >= self.limits.global_per_second:
                waits.append(self._sends_global[0] + 1.0 - now)
            if len(chat_sends) >= limit:
                waits.append(chat_sends[0] + window - now)
            if waits:
                self.rate_limited += 1
                retry_after = max(1, math.ceil(max(waits)))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
                )
            self._sends_global.append(now)
            chat_sends.append(now)

    def _bot_message(self, chat_id: int, params: JSON, content: JSON) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(self._wall_clock()),
            **content,
        }
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
        )
        if isinstance(reply, dict) and reply.get("message_id"):
            replied = self._messages.get((int(reply.get("chat_id", chat_id)), int(reply["message_id"])))
            if replied is not None:
                message["reply_to_message"] = replied
            elif not reply.get("allow_sending_without_reply") and not params.get(
                "allow_sending_without_reply"
            ):
                raise _bad("message to be replied not found")
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return json.loads(json.dumps(message))

    def _render(self, params: JSON, key: str, limit: int) -> tuple[str, list[JSON]]:
        raw = params.get(key)
        text = "" if raw is None else str(raw)
        plain, entities = render_text(text, params.get("parse_mode"))
        if explicit := params.get(f"{'entities' if key == 'text' else 'caption_entities'}"):
            entities = explicit if isinstance(explicit, list) else entities
        if utf16_len(plain) > limit:
            raise _bad("message is too long" if key == "text" else "message caption is too long")
        return plain, entities

    def _input_file(self, params: JSON, files: dict[str, UploadedFile], key: str, folder: str) -> StoredFile:
        value = params.get(key)
        upload = files.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        if upload is not None:
            return self._store_file(upload.data, folder, upload.filename, upload.content_type)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):  # Telegram downloads it; we pretend
                return self._store_file(b"", folder, value.rsplit("/", 1)[-1] or "file", None)
            raise _bad("wrong file identifier/HTTP URL specified")
        raise _bad(f"there is no {key} in the request")

    # ---- methods -------------------------------------------------------------------------------

    def _m_getMe(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return dict(self.bot_user)

    def _m_getUpdates(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + max(float(params.get("timeout") or 0), 0.0)
        with self._changed:
            if self._webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed.notify_all()  # ends an older waiting getUpdates with 409
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = list(params["allowed_updates"])
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while True:
                if generation != self._poll_generation:
                    self.conflicts += 1
                    raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                ready = [u for u in self._updates if self._is_allowed(u)][:limit]
                remaining = deadline - time.monotonic()
                if ready or self._stopping or remaining <= 0:
                    return json.loads(json.dumps(ready))
                self._changed.wait(min(remaining, 0.1))
                if self._request_context.client_gone():
                    raise ClientGone

    def _is_allowed(self, update: JSON) -> bool:
        if not self._allowed_updates:
            return True
        return any(kind in update for kind in self._allowed_updates)

    def _m_sendMessage(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            chat_id = self._chat_id(params)
            if not str(params.get("text") or "").strip():
                raise _bad("message text is empty")
            text, entities = self._render(params, "text", 4096)
            if not text.strip():
                raise _bad("message text is empty")
            content: JSON = {"text": text}
            if entities:
                content["entities"] = entities
            return self._bot_message(chat_id, params, content)

    def _edited(self, params: JSON) -> tuple[tuple[int, int], JSON]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # the bot sends no inline messages
        chat_id = self._chat_id(params)
        key = (chat_id, int(params.get("message_id") or 0))
        current = self._messages.get(key)
        if current is None:
            raise _bad("message to edit not found")
        if current["from"].get("id") != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return key, current

    def _m_editMessageText(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            key, current = self._edited(params)
            if not str(params.get("text") or "").strip():
                raise _bad("message text is empty")
            text, entities = self._render(params, "text", 4096)
            markup = self._check_markup(params.get("reply_markup"))
            return self._apply_edit(
                key, current, {"text": text, "entities": entities or None, "reply_markup": markup}
            )

    def _m_editMessageReplyMarkup(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            key, current = self._edited(params)
            return self._apply_edit(
                key, current, {"reply_markup": self._check_markup(params.get("reply_markup"))}
            )

    def _apply_edit(self, key: tuple[int, int], current: JSON, changes: JSON) -> JSON:
        updated = dict(current)
        for name, value in changes.items():
            if value is None:
                updated.pop(name, None)
            else:
                updated[name] = value
        if all(updated.get(k) == current.get(k) for k in ("text", "entities", "reply_markup")):
            raise ApiError(400, _NOT_MODIFIED)
        updated["edit_date"] = int(self._wall_clock())
        self._messages[key] = updated
        return json.loads(json.dumps(updated))

    def _m_deleteMessage(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            key = (self._chat_id(params), int(params.get("message_id") or 0))
            if self._messages.pop(key, None) is None:
                raise _bad("message to delete not found")
            return True

    def _m_answerCallbackQuery(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            query_id = str(params.get("callback_query_id") or "")
            if query_id not in self._callback_queries:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            if len(str(params.get("text") or "")) > 200:
                raise _bad("MESSAGE_TOO_LONG")
            self._answered_callbacks[query_id] = dict(params)
            return True

    def _m_sendPhoto(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            chat_id = self._chat_id(params)
            stored = self._input_file(params, files, "photo", "photos")
            content: JSON = {"photo": [self._photo_size(stored)]}
            return self._bot_message(chat_id, params, self._with_caption(params, content))

    def _m_sendDocument(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            chat_id = self._chat_id(params)
            stored = self._input_file(params, files, "document", "documents")
            document: JSON = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
            }
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            return self._bot_message(chat_id, params, self._with_caption(params, {"document": document}))

    def _with_caption(self, params: JSON, content: JSON) -> JSON:
        if params.get("caption") not in (None, ""):
            caption, entities = self._render(params, "caption", 1024)
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return content

    def _m_sendChatAction(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            self._chat_id(params)
        if params.get("action") not in {
            "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
            "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
        }:  # fmt: skip
            raise _bad("wrong type of action")
        return True

    def _m_getFile(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.data) > 20 * 1024 * 1024:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _m_setMyCommands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("commands must be a list of at most 100 BotCommand")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad(
                    "command description is empty"
                    if not command.get("description")
                    else "BOT_COMMAND_DESCRIPTION_INVALID"
                )
        with self._lock:
            key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _m_getMyCommands(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        return self.commands(params.get("scope"), str(params.get("language_code") or ""))

    def _m_deleteMyCommands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            self._commands.pop(
                (self._scope_key(params.get("scope")), str(params.get("language_code") or "")), None
            )
        return True

    def _m_getChat(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            chat_id = self._chat_id(params)
            chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _m_setWebhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        with self._changed:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = list(params["allowed_updates"])
            self._webhook = {"url": url, "secret_token": params.get("secret_token")} if url else {}
            self._changed.notify_all()
            if url and (self._webhook_thread is None or not self._webhook_thread.is_alive()):
                self._webhook_thread = threading.Thread(target=self._push_to_webhook, daemon=True)
                self._webhook_thread.start()
        return True

    def _m_deleteWebhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        with self._changed:
            self._webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._changed.notify_all()
        return True

    def _m_getWebhookInfo(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        with self._lock:
            info: JSON = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _m_close(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return True

    def _m_logOut(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return True

    def _push_to_webhook(self) -> None:
        """While a webhook is set, POST pending updates to it in order; a 2xx answer confirms one."""
        while True:
            with self._changed:
                while not self._stopping and self._webhook.get("url") and not self._updates:
                    self._changed.wait(0.5)
                if self._stopping or not self._webhook.get("url"):
                    return
                update, webhook = self._updates[0], dict(self._webhook)
            request = urllib.request.Request(
                webhook["url"],
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            if webhook.get("secret_token"):
                request.add_header("X-Telegram-Bot-Api-Secret-Token", str(webhook["secret_token"]))
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    delivered = 200 <= response.status < 300
            except OSError:
                delivered = False
            with self._changed:
                if delivered and self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                elif not delivered:
                    self._changed.wait(0.05)  # Telegram retries later; keep it short for tests
