"""How long a large plan takes to import: a 50-page text plan and a Word plan with tables.

Run: `python benchmarks/documents.py` — prints the seconds for each and fails above the budget.
"""

from __future__ import annotations

import io
import sys
import time
from datetime import date

from bot.core.importing.documents import read_document

BUDGET_SECONDS = 2.0
PAGES = 50
LINES_PER_PAGE = 40
UNITS = ("Văn phòng Sở", "Phòng Kế hoạch - Tài chính", "Thanh tra Sở", "Trung tâm Ứng dụng và Dịch vụ")


def text_plan() -> str:
    """≈ PAGES × LINES_PER_PAGE lines of numbered items with field lines and unit sections."""
    lines = ["SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số: 99/KH-SKHCN", "Quảng Ngãi, ngày 1 tháng 2 năm 2022", "KẾ HOẠCH"]
    lines += ["Triển khai nhiệm vụ năm 2022", "", "I. NHIỆM VỤ CỤ THỂ"]
    item = 0
    while len(lines) < PAGES * LINES_PER_PAGE:
        item += 1
        unit = UNITS[item % len(UNITS)]
        if item % 5:
            lines += [
                f"{item}. Tổ chức thực hiện nhiệm vụ số {item} về cải cách hành chính, chuyển đổi số",
                "và nâng cao chất lượng phục vụ người dân, doanh nghiệp trên địa bàn tỉnh",
                f"- Đơn vị chủ trì thực hiện: {unit}",
                "- Đơn vị phối hợp: Các phòng, đơn vị thuộc Sở",
                f"- Thời gian thực hiện: Quý {'I' * (item % 3 + 1)}/2022",
                "",
            ]
        else:
            lines += [
                f"{item}. {unit}:",
                f"- Rà soát, cập nhật quy trình nội bộ số {item} theo tiêu chuẩn ISO 9001:2015.",
                f"- Báo cáo kết quả thực hiện về Văn phòng Sở trước ngày {item % 28 + 1}/11/2022.",
                "",
            ]
    return "\n".join(lines)


def docx_plan() -> bytes:
    import docx

    document = docx.Document()
    for line in text_plan().splitlines()[: PAGES * 10]:
        document.add_paragraph(line)
    header = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    for page in range(PAGES // 5):
        table = document.add_table(rows=21, cols=len(header))
        for col, text in enumerate(header):
            table.cell(0, col).text = text
        for row in range(1, 21):
            values = [
                str(row),
                f"Nhiệm vụ {page}-{row} trong phụ lục",
                UNITS[row % 4],
                "Các phòng",
                "Quý II/2022",
            ]
            for col, text in enumerate(values):
                table.cell(row, col).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def measure(data: bytes, filename: str, kind: str) -> tuple[float, int]:
    started = time.perf_counter()
    plan = read_document(data, filename, kind=kind, today=date(2022, 1, 5))
    return time.perf_counter() - started, len(plan.tasks)


def main() -> int:
    text = text_plan().encode("utf-8")
    docx_data = docx_plan()
    ok = True
    for name, data, kind in (
        ("text plan (50 pages)", text, "text"),
        ("docx plan with tables", docx_data, "docx"),
    ):
        seconds, tasks = measure(data, f"bench.{kind}", kind)
        ok &= seconds <= BUDGET_SECONDS
        print(f"{name:28} {seconds:6.2f} s  {tasks:5d} tasks  (budget {BUDGET_SECONDS:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
