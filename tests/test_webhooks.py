"""The webhook port protects itself (issue 30): the secret before the body, a body cap and timeout,
400 for what is not an update, 503 when it cannot be kept; a header timeout and a connection limit
under the file limit (real sockets, real uvicorn); /healthz and /readyz on every listener; floods of
one log line cut to a few."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.app import web_server
from bot.channels.base import ApiHealth
from bot.logs import RateLimit
from bot.settings import Settings
from bot.web import webhooks
from bot.web.app import create_app
from bot.web.server import WebServer, connection_limit
from bot.web.webhooks import MAX_BODY, webhook_route
from handlers.context import AppContext
from handlers.inbox import NotAnUpdate, WebhookEndpoint
from storage import Storage

SECRET = "the-webhook-secret-of-these-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Kept:
    """A stand-in for the inbox: what was accepted, repeats, and a switch to fail like a database."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.fail = False

    async def accept(self, update: dict[str, Any]) -> bool:
        if self.fail:
            raise OSError("database unreachable")
        if not isinstance(update.get("update_id"), int):
            raise NotAnUpdate("no update_id")
        new = update["update_id"] not in [u["update_id"] for u in self.updates]
        if new:
            self.updates.append(update)
        return new


def error_page(request: Request, status: int) -> Response:
    return PlainTextResponse(str(status), status_code=status)


def app_for(kept: Kept) -> Any:
    endpoint = WebhookEndpoint("telegram", "/tg", HEADER, SECRET, kept.accept)
    return create_app([webhook_route(endpoint)], error_page=error_page)


async def post(app: Any, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http:
        return await http.post("/tg", content=body, headers=headers or {})


async def test_an_update_is_kept_once_and_answered_200() -> None:
    kept = Kept()
    app = app_for(kept)
    body = json.dumps({"update_id": 7, "message": {"text": "xin chào"}}).encode()
    first = await post(app, body, {HEADER: SECRET})
    again = await post(app, body, {HEADER: SECRET})  # Telegram's retry, or the balancer's
    assert first.status_code == again.status_code == 200
    assert again.json() == {"ok": True, "description": "repeat"}
    assert [u["update_id"] for u in kept.updates] == [7]


async def test_refusals_say_what_is_wrong_and_never_500() -> None:
    kept = Kept()
    app = app_for(kept)
    update = json.dumps({"update_id": 1}).encode()
    assert (await post(app, update)).status_code == 403
    assert (await post(app, update, {HEADER: "guess"})).status_code == 403
    for malformed in (b"{", b"[1, 2]", b"\xff\xfe", json.dumps({"message": {}}).encode()):
        answer = await post(app, malformed, {HEADER: SECRET})
        assert answer.status_code == 400, malformed
        assert answer.headers["connection"] == "close"
    too_big = await post(app, b"x" * (MAX_BODY + 1), {HEADER: SECRET})
    assert too_big.status_code == 413
    kept.fail = True
    assert (await post(app, update, {HEADER: SECRET})).status_code == 503  # Telegram sends it again
    assert kept.updates == []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http:
        assert (await http.get("/tg", headers={HEADER: SECRET})).status_code == 405


async def test_the_secret_is_checked_before_a_byte_of_the_body_is_read() -> None:
    app = app_for(Kept())
    reads = 0
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = dict(message["headers"])

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/tg",
        "raw_path": b"/tg",
        "query_string": b"",
        "headers": [(b"content-length", str(50 * 1024 * 1024).encode()), (HEADER.lower().encode(), b"wrong")],
        "client": ("203.0.113.5", 4000),
        "server": ("127.0.0.1", 8443),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    assert answer["status"] == 403 and answer["headers"][b"connection"] == b"close"
    assert reads == 0


async def test_a_declared_50_mb_body_is_refused_unread_and_a_slow_body_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = Kept()
    server = WebServer(app_for(kept), host="127.0.0.1", port=0)
    await server.start()
    try:
        head = (
            f"POST /tg HTTP/1.1\r\nHost: bot\r\n{HEADER}: {SECRET}\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
        ).encode()
        status, _rest = await raw_exchange(server.port, head)
        assert status == 413
        monkeypatch.setattr(webhooks, "BODY_TIMEOUT", 0.3)
        slow = f"POST /tg HTTP/1.1\r\nHost: bot\r\n{HEADER}: {SECRET}\r\nContent-Length: 100\r\n\r\n{{".encode()
        started = time.monotonic()
        status, _rest = await raw_exchange(server.port, slow)
        assert status == 408 and time.monotonic() - started < 5
    finally:
        await server.stop()
    assert kept.updates == []


async def raw_exchange(port: int, data: bytes, *, wait: float = 10.0) -> tuple[int, bytes]:
    """Send `data` on a fresh connection and read until the server closes it: (status, rest)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


async def test_a_wrong_secret_with_a_big_body_gets_403_and_the_rest_is_never_read() -> None:
    """Eight 50 MB bodies with a wrong secret at once: each gets its 403 after the first chunk and
    the connection is closed, so the senders fail long before their 50 MB are through."""
    server = WebServer(app_for(Kept()), host="127.0.0.1", port=0)
    await server.start()

    async def attack() -> tuple[int, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        sent = 0
        writer.write(f"POST /tg HTTP/1.1\r\nHost: bot\r\n{HEADER}: no\r\nContent-Length: {50 << 20}\r\n\r\n".encode())
        status_line = asyncio.ensure_future(reader.readline())
        chunk = b"x" * (256 * 1024)
        try:
            while sent < 50 << 20:
                writer.write(chunk)
                await asyncio.wait_for(writer.drain(), 5)
                sent += len(chunk)
        except (ConnectionError, TimeoutError):
            pass
        line = await asyncio.wait_for(status_line, 5)
        writer.close()
        return int(line.split(b" ")[1]) if line else 0, sent

    try:
        results = await asyncio.gather(*(attack() for _ in range(8)))
    finally:
        await server.stop()
    print("sent before the cut:", [sent >> 10 for _s, sent in results], "KB")
    assert all(status == 403 for status, _sent in results), results
    assert all(sent < 4 << 20 for _status, sent in results), results  # cut off, never all 50 MB


async def test_a_connection_that_sends_no_request_is_closed() -> None:
    server = WebServer(app_for(Kept()), host="127.0.0.1", port=0, header_timeout=0.3)
    await server.start()
    try:
        for opening in (b"", b"POST /tg HTTP/1.1\r\nHost: bot\r\n"):  # nothing, or headers never finished
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(opening)
            started = time.monotonic()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
            assert time.monotonic() - started < 3
            writer.close()
    finally:
        await server.stop()


async def test_idle_connections_never_keep_a_real_update_out() -> None:
    """More idle connections than the limit: the oldest idle ones are closed, the update gets in."""
    kept = Kept()
    server = WebServer(app_for(kept), host="127.0.0.1", port=0, max_connections=16)
    await server.start()
    idle = []
    try:
        for _ in range(40):
            idle.append(await asyncio.open_connection("127.0.0.1", server.port))
        await asyncio.sleep(0.2)
        assert server.connections <= 16
        body = json.dumps({"update_id": 99}).encode()
        head = f"POST /tg HTTP/1.1\r\nHost: bot\r\n{HEADER}: {SECRET}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        started = time.monotonic()
        status, _rest = await raw_exchange(server.port, head.encode() + body)
        assert status == 200 and time.monotonic() - started < 2
        assert [u["update_id"] for u in kept.updates] == [99]
    finally:
        for _reader, writer in idle:
            writer.close()
        await server.stop()


def test_the_connection_limit_stays_under_the_open_file_limit() -> None:
    assert connection_limit(1000, files=1024) == 824  # systemd's default LimitNOFILE
    assert connection_limit(1000, files=65536) == 1000  # docker/nhacviec.service's
    assert connection_limit(1000, files=100) == 16


# -- health and readiness on every listener ----------------------------------------------------


async def test_healthz_and_readyz_on_the_webhook_and_the_dashboard_ports(sqlite_url: str) -> None:
    storage = await Storage.open(sqlite_url)
    settings = Settings(_env_file=None, nhacviec_web_port=0)  # type: ignore[call-arg]
    ctx = AppContext(storage=storage, settings=settings.model_copy(update={"telegram_webhook_port": 0}))
    kept = Kept()
    endpoint = WebhookEndpoint("telegram", "/tg", HEADER, SECRET, kept.accept)
    health = ApiHealth("telegram")

    class Channel:
        name = "telegram"

    channel = Channel()
    channel.health = health  # type: ignore[attr-defined]
    server = web_server(ctx, [endpoint], channels=[channel])  # type: ignore[list-item]
    assert server is not None and len(server.bound) == 2
    hook, board = (f"http://127.0.0.1:{b.port}" for b in server.bound)
    await server.start()
    try:
        async with httpx.AsyncClient() as http:
            for base in (hook, board):
                assert (await http.get(f"{base}/healthz")).json() == {"alive": True}
                ready = await http.get(f"{base}/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["database"] == "ok"
                assert ready.json()["migrations"]["database"] == ready.json()["migrations"]["code"]
            health.failed("ConnectError")  # Telegram is down: reported, the worker stays in
            ready = await http.get(f"{hook}/readyz")
            assert ready.status_code == 200 and ready.json()["channels"]["telegram"]["state"] == "failing"
            posted = await http.post(f"{hook}/tg", json={"update_id": 5}, headers={HEADER: SECRET})
            assert posted.status_code == 200
            assert (await http.post(f"{board}/tg", json={"update_id": 6}, headers={HEADER: SECRET})).status_code in (404, 405)
            assert (await http.get(f"{hook}/")).status_code == 404  # the dashboard is not on the webhook port
            assert (await http.get(f"{board}/")).status_code == 401  # …it is on its own (no session yet)

            async def behind(*_a: object) -> tuple[str | None, str | None]:
                return "0010", "0012"  # a worker of a newer version against an older schema

            storage.schema_revisions = behind  # type: ignore[method-assign]
            assert (await http.get(f"{hook}/readyz")).status_code == 503

            async def down(*_a: object) -> tuple[str | None, str | None]:
                raise OSError("connection refused")

            storage.schema_revisions = down  # type: ignore[method-assign]
            answer = await http.get(f"{board}/readyz")
            assert answer.status_code == 503 and answer.json()["database"].startswith("unreachable")
            assert (await http.get(f"{board}/healthz")).status_code == 200  # alive all the same
    finally:
        await server.stop()
        await storage.close()
    assert [u["update_id"] for u in kept.updates] == [5]


# -- log floods ----------------------------------------------------------------------------------


def test_one_line_repeated_is_written_a_few_times_a_minute_then_counted() -> None:
    now = [0.0]
    limit = RateLimit(burst=3, window=60.0, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    written = [r for r in (record("socket.accept() out of system resource") for _ in range(1000)) if limit.filter(r)]
    assert len(written) == 3
    assert limit.filter(record("another line"))  # other lines are not held back
    now[0] = 61.0
    after = record("socket.accept() out of system resource")
    assert limit.filter(after) and "997 similar lines left out" in str(after.msg)
