"""`nhacviec run`: open the database, start the configured channels and the reminder tick.

With no token at all, the console chat runs instead, on the same handlers.
One process serves Telegram and Zalo together with ONE scheduler, so each reminder is planned
once and sent to each recipient's own channel.

A process is a *worker* (issue 15): one lease (`storage.leases.Lease`), renewed by `Heartbeat`,
names both its reminder claims and its inbox claims (issue 30). In webhook mode its web server
(`bot.web`) keeps each pushed update in the inbox before answering, and its `InboxWorker`
handles the chats it claims. Start order: the web server binds every listener first (a port in
use stops the start with a sentence), then the lease, the inbox, the channels (setWebhook: the
listener is up before the first push), the tick. Stop order (SIGTERM): the web server stops
taking updates (a balancer's /readyz fails, Telegram sends to the others), the inbox finishes
the turns in hand and lets its chats go, the tick finishes its sends, the lease ends, the
channels close.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from time import monotonic

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel
from bot.core.address import Address
from bot.core.domain import UserError
from bot.core.i18n import _
from bot.delivery.context import DeliveryContext
from bot.delivery.digests import run_digests
from bot.delivery.ports import Outbox
from bot.delivery.tick import Ticker
from bot.settings import Settings
from bot.web.server import WebServer
from bot.web.site import listener_app, plan_listeners
from handlers.context import AppContext
from handlers.health import readiness
from handlers.inbox import InboxWorker, WebhookEndpoint
from handlers.router import Router
from storage import Storage
from storage.leases import Lease

log = logging.getLogger("nhacviec")


def build_channels(settings: Settings, router: Router, inbox: InboxWorker | None = None) -> list[Channel]:
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings, router, inbox=inbox))
    if settings.zalo_bot_token:
        from bot.channels.zalo import ZaloChannel

        channels.append(ZaloChannel(settings, router, inbox=inbox))
    return channels


class Heartbeat:
    """This worker's lease, renewed every lease/4 while the process runs, ended on a clean stop."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.lease.beat()
        self._task = asyncio.create_task(self.lease.run(self._stop), name="worker-lease")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        try:
            await self.lease.end()
        except Exception:
            log.exception("could not end the worker lease")


class TickRunner:
    """The periodic tick, with a clean stop.

    APScheduler polls the ticker every few seconds (a quarter of the lease, at most
    NHACVIEC_TICK_SECONDS): planning happens every NHACVIEC_TICK_SECONDS, but a dead worker's
    claims or a failed send whose backoff passed are picked up at the next poll. The lease is
    the process's, renewed by its `Heartbeat`, so a long tick never lets it lapse.
    """

    def __init__(self, delivery: DeliveryContext, outbox: Outbox, lease: Lease) -> None:
        self.delivery, self.outbox = delivery, outbox
        self.lease = lease
        self.ticker = Ticker(delivery, outbox, lease=self.lease)
        self.running = asyncio.Lock()
        self._current: asyncio.Task[None] | None = None
        self.scheduler = AsyncIOScheduler(timezone=delivery.config.tz)

    async def start(self) -> None:
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
                started = monotonic()
                ticked = await self.ticker.poll()
                if ticked is not None:
                    log.info(
                        "reminder tick: %.3f s, %d claimed, %d sent", monotonic() - started, ticked.claimed, ticked.sent
                    )
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
        cancel what is left (its claims are released or recorded as unknown)."""
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


@dataclass
class ConsoleOptions:
    """`nhacviec run --console [--as AGENCY] [--role ROLE] [--today DATE]`."""

    agency: str | None = None
    role: str | None = None  # None: an existing account keeps its role; a new one is an admin
    today: date | None = None
    user: str = "local"  # --user: one console account per name


def console_context(storage: Storage, settings: Settings, options: ConsoleOptions) -> AppContext:
    """The console's context, built with what it needs: `--today`'s clock, and the console user
    among the admins when it is one."""
    if options.role == "admin" or (options.role is None and options.agency is None and options.user == "local"):
        settings = settings.model_copy(
            update={"nhacviec_admins": ",".join([*settings.admins, f"console:{options.user}"])}
        )
    if options.today is None:
        return AppContext(storage=storage, settings=settings)
    moment = datetime.combine(options.today, time(9, 0), tzinfo=settings.tz)
    return AppContext(storage=storage, settings=settings, clock=lambda: moment)


def web_server(
    ctx: AppContext,
    endpoints: list[WebhookEndpoint],
    *,
    channels: Sequence[Channel] = (),
    inbox: InboxWorker | None = None,
) -> WebServer | None:
    """The process's one web server: a listener for each webhook and for the dashboard (when
    NHACVIEC_WEB_PORT is set), each with /healthz and /readyz; None when there is nothing to
    serve. Binds at once: a port in use is a UserError (a sentence)."""
    listeners = plan_listeners(ctx, endpoints, dashboard=True)
    if not listeners:
        return None

    async def ready() -> tuple[bool, dict[str, object]]:
        return await readiness(ctx, channels=lambda: {c.name: c.health.describe() for c in channels}, inbox=inbox)

    server = WebServer(
        listeners=[(x.host, x.port, listener_app(ctx, x, ready=ready)) for x in listeners],
        max_connections=ctx.settings.nhacviec_web_max_connections,
    )
    for listener, bound in zip(listeners, server.bound, strict=True):
        if listener.dashboard and bound.port != ctx.settings.nhacviec_web_port:
            ctx.settings = ctx.settings.model_copy(update={"nhacviec_web_port": bound.port})  # port 0: links follow
    return server


@contextlib.asynccontextmanager
async def serving_web(ctx: AppContext) -> AsyncIterator[WebServer | None]:
    """The dashboard on NHACVIEC_WEB_LISTEN:NHACVIEC_WEB_PORT, in this event loop, while the
    console runs (nothing when the port is not set). Port 0 takes a free one; links then point to it."""
    server = web_server(ctx, [])
    if server is None:
        yield None
        return
    await server.start()
    print(_("Trang tổng hợp: {url}").format(url=server.url), file=sys.stderr)
    try:
        yield server
    finally:
        await server.stop()


async def run_console_session(ctx: AppContext, router: Router, options: ConsoleOptions) -> int:
    """The console chat as `console:local`: an admin by default, or `--as`/`--role`'s member."""
    from bot.channels.console import run_console, valid_user
    from handlers.first_run import console_user, first_words

    if not valid_user(options.user):
        raise UserError(_("Tên tài khoản console chỉ gồm chữ không dấu, số, “_”, “-” hoặc “.”: {name}").format(name=options.user[:60]))
    address = Address.of("console", options.user)
    agency = await console_user(ctx, address, agency=options.agency, role=options.role)
    user = await ctx.storage.user(address)
    intro = first_words(bool(await ctx.all_tasks()), agency, user.role.value if user else "admin")
    if options.user != "local":
        intro = _("Tài khoản console: {name}.").format(name=options.user) + " " + intro
    async with serving_web(ctx):
        await run_console(router, intro=intro, account=options.user)
    return 0


async def _warn_about_the_sample(ctx: AppContext) -> None:
    from handlers.first_run import sample_warning

    warning = await sample_warning(ctx)
    if warning:
        print(warning, file=sys.stderr)


async def run(settings: Settings, *, db: str | None = None, console: ConsoleOptions | None = None) -> int:
    storage = await Storage.open(db or settings.nhacviec_db, redact=settings.redactor())
    ctx = AppContext(storage=storage, settings=settings)
    try:
        if console is not None or not (settings.telegram_bot_token or settings.zalo_bot_token):
            options = console or ConsoleOptions()
            console_ctx = console_context(storage, settings, options)
            return await run_console_session(console_ctx, Router(console_ctx), options)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        lost = await serve(ctx, stop)
        if lost:
            print(
                _("Dừng: tệp cơ sở dữ liệu đã bị xoá hoặc thay thế trong khi bot chạy; không ghi gì thêm."),
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        await storage.close()


class Worker:
    """What one process shares between its channels: the lease, the inbox, the web server.

    `start(channels)` binds every listener first (a busy port is a sentence), then renews the
    lease, drains the inbox and starts the channels (setWebhook once the listener is up);
    `stop_receiving()` closes the listeners and lets the inbox finish its turns and its chats
    go; `stop()` ends the lease and closes the channels. `running(channels)` does all three.
    """

    def __init__(self, ctx: AppContext, lease: Lease | None = None) -> None:
        self.ctx = ctx
        self.lease = lease or ctx.delivery().lease()
        self.inbox = InboxWorker(ctx, self.lease)
        self.heartbeat = Heartbeat(self.lease)
        self.server: WebServer | None = None
        self.channels: list[Channel] = []
        self._receiving = False

    async def start(self, channels: list[Channel]) -> None:
        self.channels = channels
        endpoints = [e for e in [await c.webhook_endpoint() for c in channels] if e is not None]
        self.server = web_server(self.ctx, endpoints, channels=channels, inbox=self.inbox)
        if self.server is not None:
            await self.server.start()
            if self.ctx.settings.nhacviec_web_port is not None:
                print(_("Trang tổng hợp: {url}").format(url=self.ctx.settings.web_base_url), file=sys.stderr)
        await self.heartbeat.start()
        if endpoints:  # polling needs no inbox: nothing to sweep for
            await self.inbox.start()
            self._receiving = True
        for channel in channels:
            await channel.start()

    async def stop_receiving(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if self._receiving:
            self._receiving = False
            await self.inbox.stop(self.ctx.settings.nhacviec_stop_seconds)

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.heartbeat.stop()
        for channel in self.channels:
            with contextlib.suppress(Exception):
                await channel.stop()

    @contextlib.asynccontextmanager
    async def running(self, channels: list[Channel]) -> AsyncIterator[Worker]:
        try:
            await self.start(channels)
            yield self
        finally:
            await self.stop()


# A worker holds every task in memory (200,000 occurrences are millions of objects); CPython's
# default collector then walks them all again and again while ticks and turns allocate, which
# doubled a full reminder pass (1.15 → 0.5 s of CPU, issue 30's benchmark). Young collections
# every 50,000 allocations instead of every 700 leave them alone most of the time.
GC_THRESHOLDS = (50_000, 20, 20)


async def serve(ctx: AppContext, stop: asyncio.Event) -> bool:
    """Run the worker until `stop` is set (or the SQLite file is lost: True), then stop it in
    the order of the module's docstring."""
    gc.set_threshold(*GC_THRESHOLDS)
    outbox = Outbox()
    router = Router(ctx, outbox=outbox)
    worker = Worker(ctx)
    channels = build_channels(ctx.settings, router, worker.inbox)
    for channel in channels:
        outbox.add(channel)
    ticks = TickRunner(ctx.delivery(), outbox, worker.lease)
    ticking = False
    try:
        await worker.start(channels)
        await ticks.start()
        ticking = True
        await _warn_about_the_sample(ctx)
        print(
            _("Nhắc Việc đang chạy: {channels}").format(channels=", ".join(c.name for c in channels)),
            file=sys.stderr,
        )
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(ctx.storage.db.file_lost.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        log.info("stopping: no new updates or claims; waiting for the turns and sends in flight")
    finally:
        await worker.stop_receiving()
        if ticking:
            await ticks.stop(ctx.settings.nhacviec_stop_seconds)
        await worker.stop()
    return ctx.storage.db.file_lost.is_set()
