"""Questions benchmark: median time to answer (parse + database) in a long-running process.

Builds a SQLite database with N tasks over 1,000 agencies, then asks a mix of questions through
the same code the bot uses (`handlers.ask.ask`). Run: python benchmarks/questions.py
Target (issue 4): ≤ 10 ms median at 20,000 tasks; ≤ 3× growth from 2,000 to 20,000 tasks.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.core.lang.deadlines import parse_deadline
from bot.settings import Settings
from handlers.ask import ask
from handlers.context import AppContext
from storage import Storage

TOPICS = [
    "Tài chính",
    "Tư pháp",
    "Nội vụ",
    "Y tế",
    "Xây dựng",
    "Công Thương",
    "Giáo dục và Đào tạo",
    "Ngoại vụ",
]
DEADLINES = [
    "Quý I/2022",
    "Quý II/2022",
    "Quý III/2022",
    "Quý IV/2022",
    "Tháng 5/2022",
    "Hằng quý",
    "Thường xuyên",
    "Trước ngày 15/12/2022",
    "Năm 2022",
    "Hằng tháng",
]


def agencies(n_top: int = 100, units_each: int = 9) -> list[tuple[str, str | None]]:
    rows: list[tuple[str, str | None]] = []
    for i in range(n_top):
        top = f"Sở {TOPICS[i % len(TOPICS)]} {i}" if i >= len(TOPICS) else f"Sở {TOPICS[i]}"
        rows.append((top, None))
        for j in range(units_each):
            rows.append((f"Phòng Nghiệp vụ {j + 1}", top))
    return rows


async def build(url: str, n_tasks: int) -> list[tuple[str, str | None]]:
    st = await Storage.open(url)
    rng = random.Random(7)
    agency_rows = agencies()
    today = date(2022, 1, 5)
    per_plan = 2000
    for p in range(0, n_tasks, per_plan):
        tasks, leads = [], {}
        for i in range(p, min(n_tasks, p + per_plan)):
            name, parent = rng.choice(agency_rows)
            lead = f"{name}|{parent or ''}"
            leads[lead] = [(name, parent)]
            text = rng.choice(DEADLINES)
            d = parse_deadline(text, today=today, year=2022)
            tasks.append(
                ParsedTask(
                    title=f"Nhiệm vụ số {i} về cải cách hành chính {rng.choice(TOPICS)}",
                    lead=lead,
                    deadline=text,
                    kind=d.kind or Kind.UNSPECIFIED,
                    dates=list(d.dates),
                )
            )
        await st.save_plan(
            ParsedPlan(tasks=tasks, number=f"{p}/KH-BENCH", year=2022, source_hash=str(p)), leads
        )
    await st.close()
    return agency_rows


async def measure(n_tasks: int, rounds: int = 300) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        agency_rows = await build(url, n_tasks)
        st = await Storage.open(url)
        ctx = AppContext(storage=st, settings=Settings())
        rng = random.Random(1)
        tops = [a for a, parent in agency_rows if parent is None]
        questions = []
        for _ in range(rounds):
            top = rng.choice(tops)
            questions.append(
                rng.choice(
                    [
                        f"việc của {top} quý này",
                        f"{top} có việc gì quá hạn",
                        f"{top} tháng 5",
                        "viec cua toi sap den han",
                        f"{top} nam nay",
                    ]
                )
            )
        asker = (await ctx.directory()).resolve(tops[0]).agency_id
        await ask(
            ctx, questions[0], asker_id=asker, today=date(2022, 5, 10)
        )  # warm caches, as a running bot has
        times = []
        for q in questions:
            t0 = time.perf_counter()
            await ask(ctx, q, asker_id=asker, today=date(2022, 5, 10))
            times.append(time.perf_counter() - t0)
        await st.close()
        return statistics.median(times) * 1000


async def main() -> None:
    small = await measure(2000)
    large = await measure(20000)
    print(
        f"questions: median {small:.2f} ms at 2,000 tasks; {large:.2f} ms at 20,000 tasks; growth {large / small:.2f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
