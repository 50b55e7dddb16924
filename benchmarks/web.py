"""Time the dashboard's overview of 200 units and 20,000 occurrences (targets: ≤ 300 ms of server
time, ≤ 200 KB a page), and the other pages of the same database.

    .venv/bin/python benchmarks/web.py [--units 200] [--occurrences 20000] [--runs 20] [--seed 1]

The data goes through storage like an import: one province agency with `--units` units under
it, tasks with four quarterly occurrences spread over the units, about half done (a share of
them late), the rest open around "today". A manager of the province and an admin each open the
overview through the real ASGI app (httpx's in-process transport, no network): the time is the
app's, from request to last byte, median and worst of `--runs` after the first (which also loads
the in-memory copy of the tasks, printed apart), with the process's CPU time beside it (the
figure that holds when other work shares the 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import bindparam, select, update

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.settings import Settings
from bot.web.dashboard import dashboard_app
from handlers.context import AppContext
from storage import Storage
from storage.models import Occurrence

TODAY = date(2022, 10, 15)
NOW = datetime(2022, 10, 15, 2, 0, tzinfo=UTC)
WORDS = "báo cáo kết quả triển khai kế hoạch cải cách hành chính chuyển đổi số số hóa hồ sơ thủ tục".split()


async def build(storage: Storage, units: int, occurrences: int, seed: int) -> int:
    rng = random.Random(seed)
    province = await storage.add_agency("Ủy ban nhân dân tỉnh Mẫu")
    names = [f"Đơn vị số {i + 1:03d}" for i in range(units)]
    tasks = []
    dues = [date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30), date(2022, 12, 31)]
    for n in range(occurrences // 4):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + f" ({n})"
        tasks.append(ParsedTask(title=title, lead=names[n % units], deadline="Hằng quý", kind=Kind.RECURRING, dates=list(dues)))
    parsed = ParsedPlan(tasks=tasks, issuer="Ủy ban nhân dân tỉnh Mẫu", number="99/KH-UBND", year=2022)
    leads = {name: [(name, province)] for name in names}
    await storage.save_plan(parsed, leads, issuer_id=province)  # type: ignore[arg-type]
    async with storage.db.write() as s:  # results: half of what was due is done, a fifth of that late
        rows = (await s.execute(select(Occurrence.id, Occurrence.due).where(Occurrence.due < TODAY))).all()
        done = [
            {"oid": oid, "at": datetime.combine(due + timedelta(days=3 if rng.random() < 0.2 else 0), datetime.min.time(), UTC)}
            for oid, due in rows
            if rng.random() < 0.5
        ]
        statement = (
            update(Occurrence)
            .where(Occurrence.id == bindparam("oid"))
            .values(status="done", done_at=bindparam("at"), done_by="telegram:10")
        )
        await (await s.connection()).execute(statement, done)
    await storage.upsert_user("telegram:10", agency_id=province, role="manager", approved=True, active=True, name="Lãnh đạo")
    return province


async def measure(
    app: object, ctx: AppContext, account: str, path: str, runs: int
) -> tuple[float, list[float], list[float], int]:
    token = await ctx.storage.web.create_link(account, now=NOW)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        assert (await client.post(f"/login/{token}")).status_code == 303
        t0 = time.perf_counter()
        first = await client.get(path)
        cold = time.perf_counter() - t0
        assert first.status_code == 200, first.text[:300]
        times, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            page = await client.get(path)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        return cold, times, cpu, len(page.content)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--occurrences", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        storage = await Storage.open(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            t0 = time.perf_counter()
            province = await build(storage, args.units, args.occurrences, args.seed)
            print(f"built {await storage.counts()} in {time.perf_counter() - t0:.1f} s")
            ctx = AppContext(storage=storage, settings=Settings(nhacviec_admins="telegram:1"), clock=lambda: NOW)  # type: ignore[call-arg]
            app = dashboard_app(ctx)
            unit = next(iter(sorted((await ctx.directory()).descendants(province) - {province})))
            pages = [
                ("manager", "telegram:10", "/"),
                ("admin", "telegram:1", "/"),
                ("manager", "telegram:10", "/?from=2022-07-01&to=2022-09-30"),
                ("manager", "telegram:10", "/overdue"),
                ("manager", "telegram:10", "/soon"),
                ("manager", "telegram:10", f"/unit/{unit}"),
                ("manager", "telegram:10", "/plans"),
            ]
            for who, account, path in pages:
                cold, times, cpu, size = await measure(app, ctx, account, path, args.runs)
                print(
                    f"{who:8} {path:34} first {cold * 1000:5.0f} ms; then median {statistics.median(times) * 1000:4.0f} ms "
                    f"(CPU {statistics.median(cpu) * 1000:4.0f} ms), max {max(times) * 1000:5.0f} ms; {size / 1024:5.1f} KB"
                )
            print("targets: overview ≤ 300 ms server time, ≤ 200 KB a page")
        finally:
            await storage.close()


if __name__ == "__main__":
    asyncio.run(main())
