"""Benchmark: officers' questions answered while an admin imports a huge table (issue 16).

An admin sends a 190,000-row table over chat (CSV, or XLSX with `--xlsx`): the router reads it
for the preview. Meanwhile 20 officers ask a question each, one a second (so they fall in every phase: reading, the preview's dry run). Printed: how long
each answer took (target: every one within 1 s) and how long the preview took.
Run: `python benchmarks/import_responsiveness.py [ROWS] [--xlsx]`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_table import task_rows, write_csv, write_xlsx

from bot.settings import Settings
from handlers.context import AppContext
from handlers.requests import Request
from handlers.router import Router
from storage import Storage

NOW = datetime(2022, 6, 20, 2, 0, tzinfo=UTC)
SPREAD = 1.0  # seconds between two officers' questions: they cover the whole import


async def main(rows: int, xlsx: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("big.xlsx" if xlsx else "big.csv")
        (write_xlsx if xlsx else write_csv)(path, task_rows(rows))
        data = path.read_bytes()
        storage = await Storage.open(f"sqlite+aiosqlite:///{Path(tmp) / 'nv.db'}")
        settings = Settings(nhacviec_admins="telegram:1", nhacviec_max_file_mb=200)
        router = Router(AppContext(storage=storage, settings=settings, clock=lambda: NOW))
        agency = await storage.add_agency("Sở Tư pháp")
        for n in range(20):
            await storage.upsert_user(f"telegram:{100 + n}", agency_id=agency, approved=True, active=True)

        async def load() -> bytes:
            return data

        async def admin_import() -> float:
            start = time.perf_counter()
            await router.handle(
                Request("telegram", "1", "1", text="", file_name=path.name, file_size=len(data), load_file=load)
            )
            return time.perf_counter() - start

        async def officer(n: int) -> float:
            await asyncio.sleep(SPREAD * n + 0.1)
            start = time.perf_counter()
            text = "/help" if n % 2 else "việc quá hạn của tôi"
            replies = await router.handle(Request("telegram", str(100 + n), str(100 + n), text=text))
            assert replies
            return time.perf_counter() - start

        importing = asyncio.create_task(admin_import())
        answers = await asyncio.gather(*(officer(n) for n in range(20)))
        took = await importing
        await storage.close()
    print(f"{'XLSX' if xlsx else 'CSV'} {rows:,} rows: preview after {took:.1f} s (file {len(data) / 1e6:.1f} MB)")
    print(
        f"20 officers' questions during the import: max {max(answers) * 1000:.0f} ms, "
        f"median {statistics.median(answers) * 1000:.0f} ms (target: each ≤ 1000 ms)"
    )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(args[0]) if args else 190_000, "--xlsx" in sys.argv))
