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
from dataclasses import dataclass
from datetime import date, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel
from bot.core.i18n import _
from bot.settings import Settings
from handlers.context import AppContext
from handlers.ports import Outbox
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


def start_scheduler(ctx: AppContext, outbox: Outbox) -> tuple[AsyncIOScheduler, asyncio.Lock]:
    """The periodic tick: plan reminders and digests from the data, claim, send, record.

    The returned lock is held while a tick runs, so shutting down can wait for it to finish
    (a tick cut in half would leave claims to retry; closing storage under it would crash it).
    """
    from handlers.tick import Ticker, run_digests

    scheduler = AsyncIOScheduler(timezone=ctx.settings.tz)
    ticker = Ticker(ctx, outbox)
    running = asyncio.Lock()

    async def tick() -> None:
        async with running:
            try:
                await ticker.tick()
                await run_digests(ctx, sender=outbox)
            except asyncio.CancelledError:
                log.info("reminder tick cancelled by shutdown")
            except Exception:
                log.exception("reminder tick failed; the next tick tries again")

    scheduler.add_job(
        tick,
        "interval",
        seconds=ctx.settings.nhacviec_tick_seconds,
        max_instances=1,
        coalesce=True,
        next_run_time=ctx.clock(),
        id="reminder-tick",
    )
    scheduler.start()
    return scheduler, running


@dataclass
class ConsoleOptions:
    """`nhacviec run --console [--as AGENCY] [--role ROLE] [--today DATE]`."""

    agency: str | None = None
    role: str = "admin"
    today: date | None = None


async def run_console_session(ctx: AppContext, router: Router, options: ConsoleOptions) -> int:
    """The console chat as `console:local`: an admin by default, or `--as`/`--role`'s member."""
    from bot.channels.console import CONSOLE_ACCOUNT, run_console
    from handlers.first_run import console_user, first_words

    if options.today is not None:
        moment = datetime.combine(options.today, time(9, 0), tzinfo=ctx.settings.tz)
        ctx.clock = lambda: moment
    address = f"console:{CONSOLE_ACCOUNT}"
    if options.role == "admin":
        ctx.settings.nhacviec_admins = ",".join([*ctx.settings.admins, address])
    agency = await console_user(ctx, address, agency=options.agency, role=options.role)
    intro = first_words(bool(await ctx.all_tasks()), agency, options.role)
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
            return await run_console_session(ctx, router, console or ConsoleOptions())
        for channel in channels:
            await channel.start()
        scheduler, ticking = start_scheduler(ctx, outbox)
        await _warn_about_the_sample(ctx)
        print(
            _("Nhắc Việc đang chạy: {channels}").format(channels=", ".join(c.name for c in channels)),
            file=sys.stderr,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(storage.file_lost.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        lost = storage.file_lost.is_set()
        scheduler.shutdown(wait=False)
        for channel in channels:
            with contextlib.suppress(Exception):
                await channel.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):  # let a running tick record what it sent
                await ticking.acquire()
        if lost:
            print(
                _("Dừng: tệp cơ sở dữ liệu đã bị xoá hoặc thay thế trong khi bot chạy; không ghi gì thêm."),
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        await storage.close()
