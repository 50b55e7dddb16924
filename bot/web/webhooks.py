"""The webhooks' endpoints on the process's one web server (issue 30): Telegram's and Zalo's.

Each pushed update is checked in this order, so an attacker's request costs almost nothing:

1. the method (POST) and the secret header (`secrets.compare_digest`), before a byte of the
   body is read: 403, and the connection is closed (so the rest of a 50 MB body is never read);
2. the declared length against `MAX_BODY` (the largest real update is a few kilobytes): 413;
3. the body, read within `BODY_TIMEOUT` and never past `MAX_BODY`: 408 / 413;
4. JSON that is an object, and an update its channel recognises: 400 otherwise (never 500);
5. `accept(update)` — the channel stores it in the inbox (`handlers.inbox`) — and only then 200.
   A repeat is 200 too (it is dropped, not handled); a database that cannot store it is 503, so
   the sender (or the balancer) tries again.

Refusals are logged at INFO; `bot.logs`' rate limit keeps a flood of them to a few lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.inbox import NotAnUpdate, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # bytes; a Telegram update with a 4,096-character text and a quoted reply is ~50 KB
BODY_TIMEOUT = 10.0  # seconds to send the whole body once the headers are in


def _refuse(status: int, description: str) -> Response:
    """A short JSON refusal that also closes the connection (nothing more is read from it)."""
    return JSONResponse(
        {"ok": False, "description": description}, status_code=status, headers={"connection": "close"}
    )


def _secret_ok(given: str | None, secret: str) -> bool:
    return bool(secret) and given is not None and secrets.compare_digest(given.encode(), secret.encode())


async def read_body(request: Request, limit: int = MAX_BODY, timeout: float | None = None) -> bytes | Response:
    """The body, or the refusal to answer with: too large (413), too slow (408), gone (400)."""
    timeout = BODY_TIMEOUT if timeout is None else timeout
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return _refuse(413, "Request Entity Too Large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return _refuse(413, "Request Entity Too Large")
                chunks.append(chunk)
    except TimeoutError:
        return _refuse(408, "Request Timeout")
    except ClientDisconnect:
        return _refuse(400, "Bad Request")
    return b"".join(chunks)


def webhook_route(endpoint: WebhookEndpoint) -> Route:
    """The POST route of one channel's webhook at `endpoint.path`."""
    where = endpoint.channel

    async def receive(request: Request) -> Response:
        if not _secret_ok(request.headers.get(endpoint.secret_header), endpoint.secret):
            log.info("webhook %s: refused a request without the right secret", where)
            return _refuse(403, "Forbidden")
        body = await read_body(request)
        if isinstance(body, Response):
            log.info("webhook %s: refused a body (%d)", where, body.status_code)
            return body
        try:
            update = json.loads(body)
            if not isinstance(update, dict):
                raise NotAnUpdate("not an object")
            new = await endpoint.accept(update)
        except (json.JSONDecodeError, UnicodeDecodeError, NotAnUpdate) as exc:
            log.info("webhook %s: not an update (%s)", where, str(exc)[:80])
            return _refuse(400, "Bad Request")
        except Exception as exc:  # the database could not store it: the sender tries again
            log.warning("webhook %s: could not keep an update: %s", where, str(exc).splitlines()[0][:200])
            return _refuse(503, "Service Unavailable")
        return JSONResponse({"ok": True} if new else {"ok": True, "description": "repeat"})

    return Route(endpoint.path or "/", receive, methods=["POST"])
