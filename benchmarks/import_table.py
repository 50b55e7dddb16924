"""Benchmark: a 20,000-row task table (CSV and XLSX), read alone and imported in full.

"read" is `read_table` only; "import" is what `nhacviec import` does: read, place every lead on
an agency and write plan, tasks and occurrences to a fresh SQLite file (target ≥ 2,000 rows/s).
Run: `python benchmarks/import_table.py [ROWS]`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl

from bot.core.importing.options import ImportOptions
from bot.core.importing.tables import read_table

HEADER = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Kết quả/Sản phẩm"]
LEADS = ["Sở Tài nguyên và Môi trường", "Sở Nội vụ", "Công an tỉnh", "UBND huyện Bình Sơn", "Sở Tư pháp"]
DEADLINES = ["Quý II/2022", "Năm 2022", "Hằng quý", "Tháng 8/2022", "Trước ngày 15/12/2022", "Thường xuyên"]


def task_rows(count: int) -> list[list[object]]:
    """`count` task rows with a section row every 50 tasks, as real plans have."""
    rows: list[list[object]] = []
    for i in range(count):
        if i % 50 == 0:
            rows.append(["", f"PHẦN {i // 50 + 1}. NHIỆM VỤ NHÓM {i // 50 + 1}"])
        deadline: object = DEADLINES[i % len(DEADLINES)]
        if i % 7 == 0:
            deadline = datetime(2022, 1 + i % 12, 1 + i % 28)
        rows.append(
            [
                i + 1,
                f"Nhiệm vụ số {i + 1}: rà soát, cải cách thủ tục hành chính lĩnh vực {i % 13}",
                LEADS[i % len(LEADS)],
                LEADS[(i + 1) % len(LEADS)],
                deadline,
                "Báo cáo",
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, datetime) else v for v in row])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """A workbook as offices make them: merged title, header, section rows, real dates."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kế hoạch"
    sheet.append(["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2022"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def measure(path: Path, tasks: int) -> None:
    data = path.read_bytes()
    start, cpu_start = time.perf_counter(), time.process_time()
    plan = read_table(data, path.name, ImportOptions(today=date(2022, 5, 1)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert len(plan.tasks) == tasks, (len(plan.tasks), plan.errors[:3])
    print(
        f"{path.suffix[1:]:>4}: {tasks} rows, {len(data) / 1e6:.1f} MB in {elapsed:.2f} s "
        f"→ {tasks / elapsed:,.0f} rows/s (CPU {cpu:.2f} s → {tasks / cpu:,.0f} rows/s; "
        f"{len(plan.warnings)} warnings, {len(plan.errors)} errors)"
    )


async def full_import(path: Path, tasks: int) -> None:
    from bot.settings import Settings
    from handlers.context import AppContext
    from handlers.importing import parse_file, save_parsed
    from storage import Storage

    data = path.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        storage = await Storage.open(f"sqlite+aiosqlite:///{folder}/bench.db")
        ctx = AppContext(storage=storage, settings=Settings())
        start = time.perf_counter()
        parsed = await parse_file(ctx, data, path.name, ImportOptions(today=date(2022, 5, 1)))
        report = await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))
        elapsed = time.perf_counter() - start
        await storage.close()
    assert report.result.tasks_added == tasks
    print(f"{path.suffix[1:]:>4}: full import of {tasks} rows into SQLite in {elapsed:.2f} s → {tasks / elapsed:,.0f} rows/s")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rows = task_rows(count)
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = Path(folder) / "ke-hoach.csv", Path(folder) / "ke-hoach.xlsx"
        write_csv(csv_path, rows)
        write_xlsx(xlsx_path, rows)
        measure(csv_path, count)
        measure(xlsx_path, count)
        asyncio.run(full_import(csv_path, count))
        asyncio.run(full_import(xlsx_path, count))


if __name__ == "__main__":
    main()
