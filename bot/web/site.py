"""What each listener of the process serves (issue 30): one server, one app per address.

`nhacviec run` listens where its settings say: the Telegram webhook on TELEGRAM_WEBHOOK_LISTEN:
TELEGRAM_WEBHOOK_PORT, the Zalo webhook on ZALO_WEBHOOK_LISTEN and the URL's port, the
dashboard on NHACVIEC_WEB_LISTEN:NHACVIEC_WEB_PORT. Settings naming the same address make one
listener; every listener serves `/healthz` and `/readyz`; a webhook answers only on its own
listener and the dashboard only on its own, so a webhook port opened to Telegram's servers
never shows the dashboard, and the dashboard's port takes no forged update. All listeners are
sockets of one uvicorn server in the bot's event loop (`bot.web.server.WebServer`), so one
connection limit covers the process's one file budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from bot.web.app import create_app
from bot.web.dashboard import Dashboard
from bot.web.health import Ready, health_routes
from bot.web.limits import RateLimit
from bot.web.webhooks import webhook_route
from handlers.context import AppContext
from handlers.inbox import WebhookEndpoint


@dataclass
class Listener:
    """One address and what it serves."""

    host: str
    port: int
    webhooks: list[WebhookEndpoint] = field(default_factory=list)
    dashboard: bool = False


def plan_listeners(
    ctx: AppContext, webhooks: Sequence[WebhookEndpoint], *, dashboard: bool
) -> list[Listener]:
    """The addresses to listen on for these webhooks (and the dashboard), merged by address
    (port 0, a free port for tests, is never merged)."""
    settings = ctx.settings
    wanted: list[tuple[str, int, WebhookEndpoint | None]] = []
    for hook in webhooks:
        host, port = settings.webhook_address(hook.channel)
        wanted.append((host, port, hook))
    if dashboard and settings.nhacviec_web_port is not None:
        wanted.append((settings.nhacviec_web_listen, settings.nhacviec_web_port, None))
    listeners: list[Listener] = []
    for host, port, endpoint in wanted:
        same = next((x for x in listeners if port and (x.host, x.port) == (host, port)), None)
        if same is None:
            same = Listener(host, port)
            listeners.append(same)
        if endpoint is None:
            same.dashboard = True
        else:
            same.webhooks.append(endpoint)
    return listeners


def listener_app(
    ctx: AppContext,
    listener: Listener,
    *,
    ready: Ready | None = None,
    limiter: RateLimit | None = None,
) -> ASGIApp:
    """The app of one listener: health, its webhooks, the dashboard's pages when it is theirs."""
    settings = ctx.settings
    secure = bool(settings.nhacviec_web_url and settings.nhacviec_web_url.startswith("https://"))
    board = Dashboard(ctx, secure_cookies=secure, limiter=limiter)
    routes: list[BaseRoute] = list(health_routes(ready)) if ready is not None else []
    routes += [webhook_route(endpoint) for endpoint in listener.webhooks]
    if listener.dashboard:
        routes += board.routes()
    return create_app(routes, error_page=board.error_page, proxies=settings.web_proxies)
