"""Benchmark: 1,000 reminders to 1,000 chats through a stand-in Bot API that enforces Telegram's limits.

The real path: the tick plans, claims in SQLite, and sends through `TelegramChannel` (PTB with
its AIORateLimiter) to `tests/fakes/telegram_api.py` started with `enforce_limits=True`
(30 messages/s overall, 1/s per chat, 20/min per group). The minimum the limits allow is
1,000 / 30 s; the target is ≤ 1.1 × that with no 429. Run: python benchmarks/reminders_send.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.telegram import TelegramChannel
from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.delivery.ports import Outbox
from bot.delivery.tick import run_tick
from bot.settings import Settings
from handlers.context import AppContext
from handlers.router import Router
from storage import Storage
from tests.fakes.telegram_api import FakeTelegramAPI


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder, FakeTelegramAPI(enforce_limits=True) as api:
        storage = await Storage.open(f"sqlite+aiosqlite:///{folder}/send.db")
        task = ParsedTask(title="Báo cáo quý", lead="Sở Tư pháp", kind=Kind.ONCE, dates=[date(2022, 6, 30)])
        await storage.save_plan(ParsedPlan(tasks=[task], number="1/KH"), {"Sở Tư pháp": [("Sở Tư pháp", None)]})
        agency = (await storage.agencies())[0].id
        for i in range(count):
            await storage.upsert_user(f"telegram:{1000 + i}", agency_id=agency, approved=True, active=True)
        now = datetime(2022, 6, 23, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
        settings = Settings(telegram_bot_token=api.token, telegram_api_base_url=api.base_url)
        ctx = AppContext(storage=storage, settings=settings, clock=lambda: now)
        channel = TelegramChannel(settings, Router(ctx))
        await channel.open_for_sending()
        start = time.perf_counter()
        report = await run_tick(ctx.delivery(), sender=Outbox([channel]))
        elapsed = time.perf_counter() - start
        await channel.stop()
        await storage.close()
        minimum = count / 30
        delivered = len(api.calls("sendMessage"))
        print(
            f"reminders: sent {report.sent} ({delivered} accepted by the stand-in) to {count} chats in {elapsed:.1f} s; "
            f"minimum the limits allow {minimum:.1f} s → {elapsed / minimum:.2f}×; 429 answers: {api.rate_limited}"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
