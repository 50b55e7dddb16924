"""Heartbeats never starve on SQLite (issue 15, item 8): a long import holds the one write lock
longer than the lease, yet no other worker may take the importing worker's claims — every write
transaction of a process renews its leases, so the import's commit renews it too."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.settings import Settings
from handlers.context import AppContext
from storage import Storage


def big_plan(rows: int) -> ParsedPlan:
    tasks = [
        ParsedTask(
            title=f"Nhiệm vụ {i}", lead="Sở Tư pháp", kind=Kind.ONCE, dates=[date(2027, 3, 1 + i % 28)]
        )
        for i in range(rows)
    ]
    return ParsedPlan(tasks=tasks, number="99/KH")


async def test_a_long_import_does_not_let_the_lease_lapse(sqlite_url: str) -> None:
    owner, other = await Storage.open(sqlite_url), await Storage.open(sqlite_url)
    try:
        ctx = AppContext(storage=owner, settings=Settings(_env_file=None), clock=lambda: datetime.now(UTC))  # type: ignore[call-arg]
        lease = ctx.delivery().lease("importer", seconds=0.6)
        await lease.beat()
        now = datetime.now(UTC)
        assert await owner.claim(
            "k", recipient="telegram:1", occurrence_id=1, lead="d1", now=now, worker="importer"
        )
        stop = asyncio.Event()
        beating = asyncio.create_task(lease.run(stop))
        taken: list[float] = []
        importing = True

        async def taker() -> None:
            while importing:
                if await other.retake(["k"], now=datetime.now(UTC), worker="taker"):
                    taken.append(time.monotonic())
                    return
                await asyncio.sleep(0.02)

        trying = asyncio.create_task(taker())
        started = time.monotonic()
        await owner.save_plan(big_plan(30000), {"Sở Tư pháp": [("Sở Tư pháp", None)]})
        held = time.monotonic() - started
        await asyncio.sleep(0.3)
        importing = False
        await trying
        stop.set()
        await beating
        print(
            f"\n[issue15] import held the SQLite write lock {held:.2f} s with a 0.6 s lease: taken over {len(taken)}×"
        )
        assert held > lease.seconds, "the import must outlast the lease for this test to mean anything"
        assert taken == []
        # Once the owner really stops renewing, the claim is taken over.
        await asyncio.sleep(0.8)
        assert await other.retake(["k"], now=datetime.now(UTC), worker="taker") == {"k"}
    finally:
        await owner.close()
        await other.close()
