"""Time the reports of 20,000 occurrences, pure code only: the XLSX annex (target ≤ 5 s, collect
+ build) and the Word báo cáo (target ≤ 10 s).

    .venv/bin/python benchmarks/export.py [--occurrences 20000] [--seed 1]

The data is generated and seeded: one department with 9 units, tasks with 1-4 occurrences over
2022 (about two thirds done, some late, some with notes, extensions and progress), realistic
Vietnamese titles (a few starting with "-" or "+", written as text). It prints the time to
collect the rows and counts, to build the workbook (openpyxl write-only) and the báo cáo
(python-docx), their sizes, the same in CPU time, and a check that reading the workbook back
gives as many task rows.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from datetime import date, timedelta

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reports.data import Issuer, collect
from bot.core.reports.document import build_docx
from bot.core.reports.workbook import build_xlsx

TODAY = date(2022, 10, 15)
WORDS = "báo cáo kết quả triển khai kế hoạch cải cách hành chính chuyển đổi số số hóa hồ sơ thủ tục".split()


def make_tasks(n_occurrences: int, seed: int) -> tuple[list[TaskView], dict[int, str]]:
    rng = random.Random(seed)
    units = {1: "Sở Tư pháp", **{10 + i: f"Phòng {i} (Sở Tư pháp)" for i in range(9)}}
    tasks: list[TaskView] = []
    occ_id = task_id = 0
    while occ_id < n_occurrences:
        task_id += 1
        lead = rng.choice(list(units))
        occs = []
        for _ in range(min(rng.randint(1, 4), n_occurrences - occ_id)):
            occ_id += 1
            due = date(2022, 1, 1) + timedelta(days=rng.randrange(365))
            roll = rng.random()
            if due < TODAY and roll < 0.7:
                done_at = due + timedelta(days=rng.randint(-10, 6))
                occs.append(
                    OccurrenceView(
                        occ_id, due, OccurrenceStatus.DONE, done_at, done_by=f"telegram:{rng.randint(1, 300)}",
                        note="Đã gửi báo cáo" if roll < 0.3 else "",
                    )
                )
            else:
                occs.append(
                    OccurrenceView(
                        occ_id, due, in_progress=roll > 0.9, progress_note="đang tổng hợp" if roll > 0.95 else "",
                        original_due=due - timedelta(days=10) if roll > 0.97 else None,
                    )
                )
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize()
        if rng.random() < 0.02:
            title = "- " + title
        tasks.append(
            TaskView(task_id, title, lead, units[lead], Kind.ONCE, partners="Các phòng chuyên môn", occurrences=tuple(sorted(occs, key=lambda o: o.due)))
        )
    return tasks, units


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--occurrences", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tasks, units = make_tasks(args.occurrences, args.seed)
    people = {f"telegram:{i}": f"Cán bộ {i}" for i in range(1, 301)}
    c0, t0 = time.process_time(), time.perf_counter()
    issuer = Issuer("Sở Tư pháp", "Ủy ban nhân dân tỉnh Quảng Ngãi", "Quảng Ngãi")
    data = collect(tasks, agency_ids=set(units), unit_names=units, today=TODAY, people=people, agency="Sở Tư pháp", issuer=issuer)
    c1, t1 = time.process_time(), time.perf_counter()
    content = build_xlsx(data)
    c2, t2 = time.process_time(), time.perf_counter()
    document = build_docx(data)
    c3, t3 = time.process_time(), time.perf_counter()
    print(f"{len(data.rows):,} occurrences, {len(tasks):,} tasks, {len(data.units)} units")
    print(f"XLSX: collect {t1 - t0:.2f} s, build {t2 - t1:.2f} s, total {t2 - t0:.2f} s (target ≤ 5 s); {len(content) / 1e6:.1f} MB")
    print(f"DOCX: collect {t1 - t0:.2f} s, build {t3 - t2:.2f} s, total {t1 - t0 + t3 - t2:.2f} s (target ≤ 10 s); {len(document) / 1e3:.0f} kB")
    # CPU time of this process: on a machine shared with other work it moves less than the clock
    print(f"CPU: collect {c1 - c0:.2f} s, XLSX build {c2 - c1:.2f} s, DOCX build {c3 - c2:.2f} s")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True)
    rows = sum(1 for r in wb["Nhiệm vụ"].iter_rows(min_row=9, values_only=True) if len(r) > 6 and r[6])
    print(f"read back: {rows:,} task rows")


if __name__ == "__main__":
    main()
