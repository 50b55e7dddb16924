"""The stand-in Zalo Bot API answers like the documented Zalo Bot Platform."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.fakes.telegram_api import shared_ssl_context
from tests.fakes.zalo_api import SECRET_HEADER, FakeZaloAPI

USER = "e4ea2cd5189df1c3a88c"


@pytest.fixture
def api() -> Iterator[FakeZaloAPI]:
    with FakeZaloAPI() as server:
        yield server


@pytest.fixture
async def client(api: FakeZaloAPI) -> AsyncIterator[httpx.AsyncClient]:
    base = api.env()["ZALO_API_BASE_URL"]
    async with httpx.AsyncClient(
        base_url=f"{base}/bot{api.token}", timeout=5, verify=shared_ssl_context()
    ) as http:
        yield http


async def test_get_me_and_send_message(api: FakeZaloAPI, client: httpx.AsyncClient) -> None:
    me = (await client.post("/getMe", json={})).json()
    assert me == {
        "ok": True,
        "result": {
            "id": "1459232241454765289",
            "account_name": "bot.NhacViec",
            "account_type": "BASIC",
            "can_join_groups": False,
        },
    }
    sent = (await client.post("/sendMessage", json={"chat_id": USER, "text": "Chào anh/chị"})).json()
    assert sent["ok"] and len(sent["result"]["message_id"]) == 20 and sent["result"]["date"] > 10**12  # ms
    assert api.messages_to(USER) == ["Chào anh/chị"]
    typing = await client.post("/sendChatAction", json={"chat_id": USER, "action": "typing"})
    assert typing.json() == {"ok": True}
    photo = await client.post(
        "/sendPhoto", json={"chat_id": USER, "photo": "https://x.vn/a.png", "caption": "Biểu đồ"}
    )
    assert photo.json()["ok"]
    assert [c.method for c in api.sent] == ["sendMessage", "sendChatAction", "sendPhoto"]


async def test_validation_and_unknown_things(api: FakeZaloAPI, client: httpx.AsyncClient) -> None:
    too_long = await client.post("/sendMessage", json={"chat_id": USER, "text": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["ok"] is False
    empty = await client.post("/sendMessage", json={"chat_id": USER, "text": ""})
    assert empty.json()["error_code"] == 400
    assert (await client.post("/sendPhoto", json={"chat_id": USER, "photo": "/tmp/a.png"})).status_code == 400
    missing = await client.post("/sendSomething", json={})
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with httpx.AsyncClient(verify=shared_ssl_context()) as other:
        wrong = await other.post(f"{api.base_url}/botWRONG:TOKEN/getMe", json={})
    assert wrong.json()["error_code"] == 401
    assert api.messages_to(USER) == []


async def test_get_updates_answers_one_update_at_a_time_or_408(
    api: FakeZaloAPI, client: httpx.AsyncClient
) -> None:
    started = time.monotonic()
    nothing = await client.post("/getUpdates", json={"timeout": "0.2"})
    assert time.monotonic() - started >= 0.15
    assert nothing.json() == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert api.timeouts == 1

    api.add_user_message(USER, "/start", display_name="Nguyễn Văn A")
    api.add_user_message(USER, "việc của tôi")
    first = (await client.post("/getUpdates", json={"timeout": 5})).json()
    assert first["ok"] and first["result"]["event_name"] == "message.text.received"
    message = first["result"]["message"]
    assert message["text"] == "/start" and message["chat"] == {"id": USER, "chat_type": "PRIVATE"}
    assert message["from"] == {"id": USER, "display_name": "Nguyễn Văn A", "is_bot": False}
    second = (await client.post("/getUpdates", json={"timeout": 5})).json()
    assert second["result"]["message"]["text"] == "việc của tôi"
    assert second["result"]["message"]["from"]["display_name"] == "Nguyễn Văn A"  # remembered

    # a waiting poll wakes up at once when something arrives
    waiting = asyncio.create_task(client.post("/getUpdates", json={"timeout": 5}))
    await api.wait_for(lambda: api.get_updates_calls == 4)
    api.add_sticker(USER)
    started = time.monotonic()
    third = (await waiting).json()
    assert third["result"]["event_name"] == "message.sticker.received" and time.monotonic() - started < 1
    assert api.pending_updates == 0


async def test_abandoned_poll_does_not_swallow_the_next_update(api: FakeZaloAPI) -> None:
    async with httpx.AsyncClient(base_url=api.bot_url, verify=shared_ssl_context()) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post("/getUpdates", json={"timeout": 5}, timeout=0.1)
    # the server notices the closed connection and stops waiting for it
    await api.wait_for(
        lambda: any(not c.ok and "closed" in (c.description or "") for c in api.calls("getUpdates"))
    )
    api.add_user_message(USER, "còn đó không")
    async with httpx.AsyncClient(base_url=api.bot_url, verify=shared_ssl_context()) as patient:
        answer = (await patient.post("/getUpdates", json={"timeout": 5})).json()
    assert answer["result"]["message"]["text"] == "còn đó không"


async def test_failures_can_be_injected(api: FakeZaloAPI, client: httpx.AsyncClient) -> None:
    api.fail_next("sendMessage", 429, retry_after=2)
    limited = await client.post("/sendMessage", json={"chat_id": USER, "text": "a"})
    assert limited.status_code == 429
    assert limited.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests",
        "parameters": {"retry_after": 2},
    }
    api.drop_next("sendMessage")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/sendMessage", json={"chat_id": USER, "text": "b"})
    assert (await client.post("/sendMessage", json={"chat_id": USER, "text": "c"})).json()["ok"]
    assert [c.ok for c in api.calls("sendMessage")] == [False, False, True]
    assert api.messages_to(USER) == ["c"]
    assert (await api.wait_for_message(USER, "c")).text == "c"


async def test_errors_can_come_with_http_200() -> None:
    with FakeZaloAPI(errors_with_http_200=True) as api:
        async with httpx.AsyncClient(base_url=api.bot_url, verify=shared_ssl_context()) as client:
            answer = await client.post("/getUpdates", json={"timeout": 0})
    assert answer.status_code == 200 and answer.json()["error_code"] == 408


async def test_webhook_setup_delivery_and_posting_helper(api: FakeZaloAPI, client: httpx.AsyncClient) -> None:
    received: list[tuple[str | None, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get(SECRET_HEADER), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{hook.server_address[1]}/zalo"
    try:
        short = await client.post("/setWebhook", json={"url": url, "secret_token": "short"})
        assert short.status_code == 400
        remote_http = await client.post(
            "/setWebhook", json={"url": "http://example.com/h", "secret_token": "s3cret-token"}
        )
        assert remote_http.status_code == 400  # Zalo wants HTTPS
        set_answer = (
            await client.post("/setWebhook", json={"url": url, "secret_token": "s3cret-token"})
        ).json()
        assert set_answer["result"]["url"] == url
        assert (await client.post("/getWebhookInfo", json={})).json()["result"]["url"] == url
        assert (await client.post("/getUpdates", json={"timeout": 0})).json()["error_code"] == 409

        api.add_user_message(USER, "xin chào")
        await api.wait_for(lambda: received)
        secret, body = received[0]
        assert secret == "s3cret-token" and body["ok"] and body["result"]["message"]["text"] == "xin chào"

        update = api.make_update("message.text.received", USER, text="trực tiếp")
        answer = await api.post_update_to_webhook(url, update, "s3cret-token")
        assert answer.status_code == 200 and received[-1][1]["result"]["message"]["text"] == "trực tiếp"

        deleted = (await client.post("/deleteWebhook", json={})).json()
        assert deleted["result"]["url"] == ""
    finally:
        hook.shutdown()
        hook.server_close()
