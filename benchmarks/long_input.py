"""Reading is linear in a paragraph's and a file's length (issue 23 item 7).

Four Markdown plans read with `read_plan`:
- a 2 MB plan whose body is ONE line of prose (a sentence giving a unit a recurring, dated
  report, again and again: every date phrase of one paragraph);
- a 2 MB plan whose body is ONE line of numbered items (≈ 10,000 dated reports in one paragraph);
- the same numbered items as ordinary lines, 2 MB and 20 MB (the file cap): the 20 MB one should
  take about ten times the 2 MB one, not a hundred;
- a lead cell of 1,000 pieces glued into one name ("Sở Văn hóa, Thể thao 1, Thể thao 2, …",
  ≈ 20 KB) cut with `split_agencies`, and one of 10,000: ten times the pieces, about ten times
  the time (before: 12 s for the 1,000, quadratic).

Budget: the 2 MB line ≤ 2 s of CPU (process time, so that other jobs on the machine do not
count; wall time is printed too). Before issue 23 the prose line took 58 s (the date-phrase
overlap check compared each phrase with every earlier one).
Run: `python benchmarks/long_input.py` — prints the seconds for each; exits 1 above a budget.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from bot.core.importing.leads import split_agencies
from bot.core.importing.options import ImportOptions
from bot.core.importing.reader import read_plan

BUDGET_SECONDS = 2.0
MB = 1_000_000
HEAD = (
    "**ỦY BAN NHÂN DÂN**\nTỈNH QUẢNG NGÃI\n\nSố: 99/KH-UBND\n\n**KẾ HOẠCH**\n\n"
    "Triển khai nhiệm vụ năm 2025\n\n**I. TỔ CHỨC THỰC HIỆN**\n\n"
)
UNITS = ("Văn phòng Sở", "Phòng Kế hoạch - Tài chính", "Thanh tra Sở", "Trung tâm Ứng dụng và Dịch vụ")


def prose_line(size: int) -> bytes:
    sentence = (
        "Sở Tư pháp chủ trì rà soát văn bản, báo cáo kết quả về Văn phòng Sở trước ngày "
        "15/11/2025, hằng quý báo cáo tiến độ. "
    )
    return (HEAD + sentence * (size // len(sentence.encode())) + "\n").encode()


def item_lines(size: int) -> list[str]:
    lines: list[str] = []
    total, item = len(HEAD.encode()), 0
    while total < size:
        item += 1
        line = (
            f"{item % 999 + 1}. {UNITS[item % len(UNITS)]} rà soát, cập nhật quy trình nội bộ số {item} theo "
            f"tiêu chuẩn ISO 9001:2015, báo cáo kết quả về Văn phòng Sở trước ngày {item % 28 + 1}/11/2025."
        )
        lines.append(line)
        total += len(line.encode()) + 2
    return lines


def items_line(size: int) -> bytes:
    return (HEAD + " ".join(item_lines(size)) + "\n").encode()


def items_plan(size: int) -> bytes:
    return (HEAD + "\n\n".join(item_lines(size)) + "\n").encode()


def measure(data: bytes) -> tuple[float, float, int]:
    options = ImportOptions(today=date(2025, 1, 5), max_bytes=max(len(data), 20 * 1024 * 1024))
    wall, cpu = time.perf_counter(), time.process_time()
    plan = read_plan(data, "long.md", options)
    return time.perf_counter() - wall, time.process_time() - cpu, len(plan.tasks)


def lead_cell(pieces: int) -> str:
    """One name glued from `pieces` pieces (none starts a new agency), then one more agency."""
    return "Sở Văn hóa, " + ", ".join(f"Thể thao khu vực {k}" for k in range(pieces)) + "; Sở Tư pháp"


def measure_cell(cell: str) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    names = split_agencies(cell)
    return time.perf_counter() - wall, time.process_time() - cpu, len(names)


def main() -> int:
    ok = True
    rates: dict[str, float] = {}
    for name, data, budget in (
        ("2 MB line of prose", prose_line(2 * MB), BUDGET_SECONDS),
        ("2 MB line of dated items", items_line(2 * MB), None),
        ("2 MB plan of dated items", items_plan(2 * MB), None),
        ("20 MB plan of dated items", items_plan(20 * MB), None),
    ):
        wall, cpu, tasks = measure(data)
        rates[name] = cpu / (len(data) / MB)
        verdict = ""
        if budget is not None:
            ok &= cpu <= budget
            verdict = f"  (budget {budget:.1f} s CPU)"
        print(f"{name:27} {len(data) / MB:5.1f} MB  {cpu:6.2f} s CPU  {wall:6.2f} s wall  {tasks:6d} tasks{verdict}")
    ratio = rates["20 MB plan of dated items"] / rates["2 MB plan of dated items"]
    print(f"CPU seconds per MB, 20 MB plan / 2 MB plan: {ratio:.2f} (linear ≈ 1)")
    ok &= ratio < 2.0
    cells: dict[int, float] = {}
    for pieces in (1_000, 10_000):
        cell = lead_cell(pieces)
        wall, cpu, names = measure_cell(cell)
        cells[pieces] = cpu
        print(
            f"lead cell of {pieces:6,} pieces {len(cell.encode()) / 1000:7.1f} KB  {cpu:6.2f} s CPU  {wall:6.2f} s wall"
            f"  {names:6d} names"
        )
    cell_ratio = cells[10_000] / max(cells[1_000], 1e-6)
    print(f"lead cell, 10,000 pieces / 1,000 pieces: {cell_ratio:.1f}× the CPU (linear ≈ 10, quadratic ≈ 100)")
    ok &= cells[1_000] <= BUDGET_SECONDS and cell_ratio < 25
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
