"""The ASGI app factory: routes in, one app out, safe by default for whatever it serves.

- Every response carries `Content-Security-Policy: default-src 'self'` (no script, style, image
  or frame from anywhere else; no inline script or style), `X-Frame-Options: DENY`,
  `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a login link in the
  address bar is never sent on to another site), and `Cache-Control: no-store` — only files
  under `/static/` may be kept by a browser.
- Every error is a short page with one sentence (`error_page`): 404, 405, 500. An exception is
  logged as one line (bot.logs) and never shown.
- `X-Forwarded-For`/`-Proto` are believed only from the addresses in `proxies`
  (NHACVIEC_WEB_PROXIES), through uvicorn's own middleware; from anyone else they are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

log = logging.getLogger(__name__)

SECURITY_HEADERS = (
    ("content-security-policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
)
STATIC_PREFIX = "/static/"
STATIC_CACHE = "public, max-age=3600"

ErrorPage = Callable[[Request, int], Response]


class Guard:
    """The outermost layer: the headers above on every response, and an exception that escaped
    everything else logged on one line (answered with a bare 500 if nothing was sent yet)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_safely(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
                if static and message.get("status", 200) < 400:
                    headers["cache-control"] = STATIC_CACHE
                else:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_safely)
        except Exception:
            log.exception("web request %s %s failed", scope.get("method"), _path_for_log(scope))
            if not started:
                await Response("500", status_code=500, media_type="text/plain")(scope, receive, send_safely)


def _path_for_log(scope: Scope) -> str:
    """The path without a login token (a token in a log line would be a way in)."""
    path = str(scope.get("path", ""))
    return "/login/…" if path.startswith("/login/") else path[:200]


def create_app(
    routes: Sequence[BaseRoute], *, error_page: ErrorPage, proxies: Sequence[str] = ()
) -> ASGIApp:
    """One ASGI app serving `routes` (Route and Mount objects) behind `Guard`."""

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_page(request, status)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_page(request, 500)

    app: ASGIApp = Starlette(
        routes=list(routes), exception_handlers={HTTPException: http_error, Exception: server_error}
    )
    if proxies:
        # uvicorn and Starlette spell the same ASGI callable with different type names
        app = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=list(proxies)))
    return Guard(app)
