"""Serving the app with uvicorn inside the bot's own event loop (`nhacviec run`, `nhacviec web serve`).

The sockets are bound here, before uvicorn starts, so a port in use is a sentence for the
operator (uvicorn itself would exit the process) and port 0 gives a free one (tests). One
server serves every listener of the process (the webhooks' ports, the dashboard's): one
connection count, one file budget. The process's own signal handling stays in charge:
uvicorn's is turned off, and `stop()` is called on SIGTERM like every other part. No access
log: a login link's token is in its path.

The server protects itself (issue 30) — a webhook port faces the internet through a proxy:

- *Header timeout.* A connection must finish its request's headers within `HEADER_TIMEOUT`
  (10 s) of opening, or of its previous answer; otherwise it is closed (a slow client, or one
  that never sends, holds nothing for long). Headers are capped by h11 (16 KB).
- *Body timeout and cap* are the webhook endpoint's (`bot.web.webhooks`): it reads the body only
  after the secret is checked, and closes the connection when it refuses one.
- *A connection limit below the file limit.* At most `max_connections` are open at once, never
  more than the process's open-file limit minus `RESERVED_FILES` (the database pool, the Bot
  API clients, log files): accept() never meets "Too many open files". At the limit, the
  oldest connection that is idle (no request in progress) is closed to make room; when none is
  idle the new one is closed at once. A request already being answered is never cut.
- *Quiet logs.* Refusals are logged through `bot.logs`' rate limit (a flood is a few lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.core.domain import UserError
from bot.core.i18n import _

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds to send a request's headers
KEEP_ALIVE = 5.0  # seconds an idle kept-alive connection stays open
MAX_CONNECTIONS = 1000  # NHACVIEC_WEB_MAX_CONNECTIONS
RESERVED_FILES = 200  # descriptors kept for everything but client connections
BACKLOG = 511


def open_file_limit() -> int:
    """The process's soft limit of open files (systemd's default is 1,024; the unit sets more)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_limit(wanted: int, files: int | None = None) -> int:
    """`wanted`, lowered to fit under the file limit with `RESERVED_FILES` to spare (at least 16)."""
    files = open_file_limit() if files is None else files
    return max(16, min(wanted, files - RESERVED_FILES))


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a connection limit (see the module)."""

    max_connections: ClassVar[int] = MAX_CONNECTIONS
    header_timeout: ClassVar[float] = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened = time.monotonic()
        self._seen_cycle: Any = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def _make_room(self) -> None:
        """Close the oldest idle connection, else this new one."""
        idle = [c for c in self.connections if c is not self and isinstance(c, GuardedProtocol) and c.idle]
        victim = min(idle, key=lambda c: c.opened) if idle else self
        log.warning(
            "web: %d connections open (limit %d); closing %s",
            len(self.connections),
            self.max_connections,
            "the oldest idle one" if idle else "the new one",
        )
        victim.transport.close()
        self.connections.discard(victim)

    @property
    def idle(self) -> bool:
        """No request in progress: waiting for one, or kept alive after an answer."""
        return self.cycle is None or self.cycle.response_complete

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        if self.idle and not self.transport.is_closing():
            log.info("web: closed a connection that sent no request within %.0f s", self.header_timeout)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._seen_cycle:
            self._seen_cycle = self.cycle  # a request's headers are in: its answer is on its way
            self._disarm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()  # the next request's headers get the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the process that embeds it decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or UserError saying why not (the port is taken, the address unknown)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise UserError(
            _("Không mở được cổng web {host}:{port}: {error}").format(host=host, port=port, error=exc.strerror or exc)
        ) from exc
    sock.setblocking(False)
    return sock


@dataclass(frozen=True)
class Bound:
    """A listening address as bound (port 0 became a real port)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"


class ByListener:
    """One app per listening address: the dashboard's port serves the dashboard, a webhook's port
    its webhook (and both their health checks). Chosen by the address the connection came in on."""

    def __init__(self, apps: dict[Bound, ASGIApp]) -> None:
        self.apps = apps
        self.by_port = {bound.port: app for bound, app in apps.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or ("", 0)
        app = self.apps.get(Bound(str(server[0]), int(server[1] or 0))) or self.by_port.get(int(server[1] or 0))
        if app is None:  # pragma: no cover - every socket is ours
            app = next(iter(self.apps.values()))
        await app(scope, receive, send)


class WebServer:
    """One uvicorn server on one or more sockets; `start()` returns once it accepts connections.

    `WebServer(app, host=…, port=…)` serves one app on one address; `WebServer.of({(host, port):
    app, …})` serves each app on its own address (bound in that order, a busy one is a sentence).
    """

    def __init__(
        self,
        app: ASGIApp | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        listeners: Sequence[tuple[str, int, ASGIApp]] = (),
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> None:
        wanted = list(listeners)
        if not wanted:
            if app is None:
                raise ValueError("WebServer needs an app or listeners")
            wanted = [(host, port, app)]
        self._sockets: list[socket.socket] = []
        apps: dict[Bound, ASGIApp] = {}
        try:
            for where, number, served in wanted:
                sock = bind(where, number)
                self._sockets.append(sock)
                apps[Bound(where, int(sock.getsockname()[1]))] = served
        except UserError:
            for sock in self._sockets:
                sock.close()
            raise
        self.bound = list(apps)
        self.host, self.port = self.bound[0].host, self.bound[0].port
        self.max_connections = connection_limit(max_connections)
        if self.max_connections < max_connections:
            log.warning(
                "web: at most %d connections (the open-file limit is %d; raise LimitNOFILE)",
                self.max_connections,
                open_file_limit(),
            )
        protocol = type(
            "Guarded", (GuardedProtocol,), {"max_connections": self.max_connections, "header_timeout": header_timeout}
        )
        config = uvicorn.Config(
            ByListener(apps) if len(apps) > 1 else next(iter(apps.values())),
            http=protocol,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,  # the app decides whom to believe (NHACVIEC_WEB_PROXIES)
            timeout_keep_alive=int(KEEP_ALIVE),
            timeout_graceful_shutdown=5,
            backlog=BACKLOG,
        )
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return self.bound[0].url

    @property
    def connections(self) -> int:
        return len(self._server.server_state.connections)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=self._sockets), name="web-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise UserError(_("Máy chủ web không khởi động được."))
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop accepting; requests being answered get a few seconds to finish (their updates
        are stored before the answer, so a cut one is sent again by Telegram)."""
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        for sock in self._sockets:
            sock.close()

    async def serve_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
