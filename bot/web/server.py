"""Serving the app with uvicorn inside the bot's own event loop (`nhacviec run`, `nhacviec web serve`).

The socket is bound here, before uvicorn starts, so a port in use is a sentence for the
operator (uvicorn itself would exit the process) and port 0 gives a free one (tests). The
process's own signal handling stays in charge: uvicorn's is turned off, and `stop()` is called
on SIGTERM like every other part. No access log: a login link's token is in its path.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from bot.core.domain import UserError
from bot.core.i18n import _


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
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UserError(
            _("Không mở được cổng web {host}:{port}: {error}").format(host=host, port=port, error=exc.strerror or exc)
        ) from exc
    sock.setblocking(False)
    return sock


class WebServer:
    """One uvicorn server on one socket; `start()` returns once it accepts connections."""

    def __init__(self, app: ASGIApp, *, host: str, port: int) -> None:
        self.host = host
        self._socket = bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,  # the app decides whom to believe (NHACVIEC_WEB_PROXIES)
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
        )
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="web-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise UserError(_("Máy chủ web không khởi động được."))
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        self._socket.close()

    async def serve_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
