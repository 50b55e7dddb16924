"""Questions benchmark: median time to answer (parse + database) in a long-running process.

Builds a SQLite database with N tasks over 1,000 agencies, then asks a mix of questions through
the same code the bot uses (`handlers.ask.ask`): agencies and periods, and the kinds of issue 25
(when is it due — a topic searched over every task —, before a date, days left, what is late,
relative periods, a social turn, a place). Run: python benchmarks/questions.py
Targets: ≤ 10 ms per question at 20,000 tasks (issue 25; median and each kind's median);
≤ 3× growth from 2,000 to 20,000 tasks (issue 4).
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
        questions: list[tuple[str, str]] = []
        for _ in range(rounds):
            top = rng.choice(tops)
            topic = rng.choice(TOPICS)
            questions.append(
                rng.choice(
                    [
                        ("agencies and periods", f"việc của {top} quý này"),
                        ("agencies and periods", f"{top} tháng 5"),
                        ("agencies and periods", f"{top} nam nay"),
                        ("agencies and periods", "viec cua toi sap den han"),
                        ("late", f"{top} có việc gì quá hạn"),
                        ("late", f"{top} viec tre"),
                        ("when-due", f"hạn cải cách hành chính {topic} là khi nào"),
                        ("when-due", f"nhiem vu so {rng.randrange(n_tasks)} han bao gio"),
                        ("before-date", f"{top} trước ngày 15/6"),
                        ("days-left", f"{top} còn mấy ngày nữa đến hạn"),
                        ("relative periods", f"{top} cuối tháng này"),
                        ("relative periods", "việc của tôi từ giờ đến 30/6"),
                        ("social turns", "cảm ơn bạn nhé"),
                        ("qualified names", f"{top} quảng trị"),
                    ]
                )
            )
        asker = (await ctx.directory()).resolve(tops[0]).agency_id
        await ask(
            ctx, questions[0][1], asker_id=asker, today=date(2022, 5, 10)
        )  # warm caches, as a running bot has
        await ctx.topic_index()  # built once per revision of the tasks, as a running bot keeps it
        times: list[float] = []
        cpu: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for kind, q in questions:
            t0, c0 = time.perf_counter(), time.process_time()
            await ask(ctx, q, asker_id=asker, today=date(2022, 5, 10))
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            by_kind.setdefault(kind, []).append(cpu[-1])
        await st.close()
        kinds = ", ".join(f"{k} {statistics.median(v) * 1000:.2f}" for k, v in sorted(by_kind.items()))
        print(
            f"  {n_tasks:>6} tasks: wall median {statistics.median(times) * 1000:.2f} ms, CPU median"
            f" {statistics.median(cpu) * 1000:.2f} ms; CPU median by kind (ms): {kinds}"
        )
        return statistics.median(times) * 1000


async def main() -> None:
    small = await measure(2000)
    large = await measure(20000)
    print(
        f"questions: median {small:.2f} ms at 2,000 tasks; {large:.2f} ms at 20,000 tasks; growth {large / small:.2f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
