"""The Zalo Bot API client: `POST {ZALO_API_BASE_URL}/bot<TOKEN>/<method>` with JSON, over httpx.

A thin client of our own (the reasons, and what the platform documents, are in the docstring of
`bot.channels.zalo`). It knows the wire format only: `{"ok": true, "result": …}` or an error
with a code, a description and maybe a `retry_after`. What an error means for a send is the
channel's business.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx


class ZaloApiError(Exception):
    """`{"ok": false, …}` from the Bot API; `code` 0 means the answer was not the API's JSON."""

    def __init__(self, code: int, description: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloBotClient:
    """`POST {base}/bot{token}/{method}` with JSON; returns `result` or raises `ZaloApiError`."""

    def __init__(
        self, token: str, base_url: str, *, http: httpx.AsyncClient | None = None, timeout: float = 20.0
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}"
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """One call. httpx errors (network, timeouts) propagate; API errors become ZaloApiError."""
        kwargs: dict[str, Any] = {"json": params or {}}
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=10.0)
        response = await self._http.post(f"{self._url}/{method}", **kwargs)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise ZaloApiError(
                response.status_code if response.status_code >= 400 else 0, "not a Bot API answer"
            )
        if body.get("ok"):
            return body.get("result")
        code = int(body.get("error_code") or response.status_code or 0)
        return self._raise(code, str(body.get("description") or ""), body, response)

    @staticmethod
    def _raise(code: int, description: str, body: dict[str, Any], response: httpx.Response) -> Any:
        retry_after: float | None = None
        parameters = body.get("parameters")
        raw = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raw = raw if raw is not None else response.headers.get("retry-after")
        with contextlib.suppress(TypeError, ValueError):
            retry_after = float(raw) if raw is not None else None
        raise ZaloApiError(code, description, retry_after=retry_after)

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_update(self, timeout: float) -> dict[str, Any] | None:
        """One update, or None when the long poll ended with nothing new (error 408)."""
        seconds = str(int(timeout)) if float(timeout).is_integer() else str(timeout)
        try:
            result = await self.call("getUpdates", {"timeout": seconds}, timeout=timeout + 10.0)
        except ZaloApiError as exc:
            if exc.code == 408:
                return None
            raise
        return result if isinstance(result, dict) else None

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> Any:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return await self.call("getWebhookInfo")


def describe(exc: BaseException) -> str:
    """An error for the log, never the request URL (it carries the token)."""
    if isinstance(exc, ZaloApiError):
        return f"{exc.code} {exc.description}"
    return type(exc).__name__
