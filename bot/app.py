"""`nhacviec run`: open the database, start the configured channels and the reminder tick.

With no token at all, the console chat runs instead, on the same handlers.
One process serves Telegram and Zalo together with ONE scheduler, so each reminder is planned
once and sent to each recipient's own channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel
from bot.core.address import Address
from bot.core.i18n import _
from bot.delivery.context import DeliveryContext
from bot.delivery.digests import run_digests
from bot.delivery.ports import Outbox
from bot.delivery.tick import Ticker
from bot.settings import Settings
from bot.web.dashboard import dashboard_app
from bot.web.server import WebServer
from handlers.context import AppContext
from handlers.router import Router
from storage import Storage

log = logging.getLogger("nhacviec")


def build_channels(settings: Settings, router: Router) -> list[Channel]:
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings, router))
    if settings.zalo_bot_token:
        from bot.channels.zalo import ZaloChannel

        channels.append(ZaloChannel(settings, router))
    return channels


class TickRunner:
    """The periodic tick and this worker's lease, with a clean stop.

    APScheduler polls the ticker every few seconds (a quarter of the lease, at most
    NHACVIEC_TICK_SECONDS): planning happens every NHACVIEC_TICK_SECONDS, but a dead worker's
    claims or a failed send whose backoff passed are picked up at the next poll. The lease is
    renewed by its own task, so a long tick never lets it lapse.
    """

    def __init__(self, delivery: DeliveryContext, outbox: Outbox) -> None:
        self.delivery, self.outbox = delivery, outbox
        self.lease = delivery.lease()
        self.ticker = Ticker(delivery, outbox, lease=self.lease)
        self.running = asyncio.Lock()
        self._current: asyncio.Task[None] | None = None
        self._stop_beating = asyncio.Event()
        self._beating: asyncio.Task[None] | None = None
        self.scheduler = AsyncIOScheduler(timezone=delivery.config.tz)

    async def start(self) -> None:
        await self.lease.beat()
        self._beating = asyncio.create_task(self.lease.run(self._stop_beating), name="worker-lease")
        every = max(0.2, min(float(self.delivery.config.tick_seconds), self.lease.seconds / 4))
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=every,
            max_instances=1,
            coalesce=True,
            next_run_time=self.delivery.clock(),
            id="reminder-tick",
        )
        self.scheduler.start()

    async def _tick(self) -> None:
        if self.ticker.stopping.is_set():
            return
        async with self.running:
            self._current = asyncio.current_task()
            try:
                ticked = await self.ticker.poll()
                if ticked is not None and not self.ticker.stopping.is_set():
                    await run_digests(self.delivery, sender=self.outbox, lease=self.lease)
            except asyncio.CancelledError:
                log.info("reminder tick cancelled by shutdown")
            except Exception:
                log.exception("reminder tick failed; the next tick tries again")
            finally:
                self._current = None

    async def stop(self, grace: float) -> None:
        """Stop claiming; give in-flight sends `grace` seconds to finish and be recorded; then
        cancel what is left (its claims are released or recorded as unknown) and end the lease."""
        self.ticker.stopping.set()
        # Pause, not shut down yet: APScheduler's shutdown cancels a running job, which would cut
        # a tick between "sent" and "recorded" (then a restart sends that message again).
        self.scheduler.pause()
        try:
            async with asyncio.timeout(grace):
                await self.running.acquire()
        except TimeoutError:
            current = self._current
            if current is not None:
                current.cancel()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self.running.acquire()
        self.scheduler.shutdown(wait=False)
        self._stop_beating.set()
        if self._beating is not None:
            with contextlib.suppress(Exception):
                await self._beating
        try:
            await self.lease.end()
        except Exception:
            log.exception("could not end the worker lease")


@dataclass
class ConsoleOptions:
    """`nhacviec run --console [--as AGENCY] [--role ROLE] [--today DATE]`."""

    agency: str | None = None
    role: str = "admin"
    today: date | None = None


def console_context(storage: Storage, settings: Settings, options: ConsoleOptions) -> AppContext:
    """The console's context, built with what it needs: `--today`'s clock, and the console user
    among the admins when it is one."""
    from bot.channels.console import CONSOLE_ACCOUNT

    if options.role == "admin":
        settings = settings.model_copy(
            update={"nhacviec_admins": ",".join([*settings.admins, f"console:{CONSOLE_ACCOUNT}"])}
        )
    if options.today is None:
        return AppContext(storage=storage, settings=settings)
    moment = datetime.combine(options.today, time(9, 0), tzinfo=settings.tz)
    return AppContext(storage=storage, settings=settings, clock=lambda: moment)


@contextlib.asynccontextmanager
async def serving_web(ctx: AppContext) -> AsyncIterator[WebServer | None]:
    """The dashboard on NHACVIEC_WEB_LISTEN:NHACVIEC_WEB_PORT, in this event loop, while the bot
    runs (nothing when the port is not set). Port 0 takes a free one; links then point to it."""
    settings = ctx.settings
    if settings.nhacviec_web_port is None:
        yield None
        return
    server = WebServer(dashboard_app(ctx), host=settings.nhacviec_web_listen, port=settings.nhacviec_web_port)
    if server.port != settings.nhacviec_web_port:
        ctx.settings = settings.model_copy(update={"nhacviec_web_port": server.port})
    await server.start()
    print(_("Trang tổng hợp: {url}").format(url=server.url), file=sys.stderr)
    try:
        yield server
    finally:
        await server.stop()


async def run_console_session(ctx: AppContext, router: Router, options: ConsoleOptions) -> int:
    """The console chat as `console:local`: an admin by default, or `--as`/`--role`'s member."""
    from bot.channels.console import CONSOLE_ACCOUNT, run_console
    from handlers.first_run import console_user, first_words

    address = Address.of("console", CONSOLE_ACCOUNT)
    agency = await console_user(ctx, address, agency=options.agency, role=options.role)
    intro = first_words(bool(await ctx.all_tasks()), agency, options.role)
    async with serving_web(ctx):
        await run_console(router, intro=intro)
    return 0


async def _warn_about_the_sample(ctx: AppContext) -> None:
    from handlers.first_run import sample_warning

    warning = await sample_warning(ctx)
    if warning:
        print(warning, file=sys.stderr)


async def run(settings: Settings, *, db: str | None = None, console: ConsoleOptions | None = None) -> int:
    storage = await Storage.open(db or settings.nhacviec_db, redact=settings.redactor())
    ctx = AppContext(storage=storage, settings=settings)
    outbox = Outbox()
    router = Router(ctx, outbox=outbox)
    channels = [] if console is not None else build_channels(settings, router)
    for channel in channels:
        outbox.add(channel)
    try:
        if not channels:
            options = console or ConsoleOptions()
            console_ctx = console_context(storage, settings, options)
            return await run_console_session(console_ctx, Router(console_ctx), options)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with serving_web(ctx):  # bound first: a port in use stops the start with a sentence
            for channel in channels:
                await channel.start()
            ticks = TickRunner(ctx.delivery(), outbox)
            await ticks.start()
            await _warn_about_the_sample(ctx)
            print(
                _("Nhắc Việc đang chạy: {channels}").format(channels=", ".join(c.name for c in channels)),
                file=sys.stderr,
            )
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(storage.db.file_lost.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
            lost = storage.db.file_lost.is_set()
            log.info("stopping: no new claims; waiting for sends in flight")
            await ticks.stop(settings.nhacviec_stop_seconds)
            for channel in channels:
                with contextlib.suppress(Exception):
                    await channel.stop()
        if lost:
            print(
                _("Dừng: tệp cơ sở dữ liệu đã bị xoá hoặc thay thế trong khi bot chạy; không ghi gì thêm."),
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        await storage.close()
