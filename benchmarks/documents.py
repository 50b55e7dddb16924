"""How long a large plan takes to import: a 50-page plan as text, Markdown, Word and PDF.

Budgets (issue 14): text, Markdown and Word ≤ 2 s; PDF within 1.5× of pdfplumber's bare
`extract_text` on the same file. The PDF is drawn with matplotlib (its text layer is real text).
Run: `python benchmarks/documents.py` — prints the seconds for each and fails above a budget.
"""

from __future__ import annotations

import io
import sys
import time
from datetime import date

from bot.core.importing.documents import read_document
from bot.core.importing.guard import FileKind
from bot.core.importing.options import ImportOptions

BUDGET_SECONDS = 2.0
PDF_RATIO = 1.5
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


def markdown_plan() -> str:
    """The same plan as published on the web: hard-wrapped, bold headings, a cell-per-line table."""
    out = ["**ỦY BAN NHÂN DÂN**", "TỈNH QUẢNG NGÃI", "", "Số: 99/KH-UBND", "", "**KẾ HOẠCH**", ""]
    out += ["Triển khai nhiệm vụ năm 2025", "", "**I. TỔ CHỨC THỰC HIỆN**", ""]
    item = 0
    while len(out) < PAGES * LINES_PER_PAGE * 0.8:
        item += 1
        unit = UNITS[item % len(UNITS)]
        out += [f"**{item}. {unit}**", ""]
        for k in range(3):
            out += [
                f"- Rà soát, cập nhật quy trình nội bộ số {item}.{k} theo tiêu chuẩn",
                "ISO 9001:2015, báo cáo kết quả thực hiện về Văn phòng Sở trước ngày",
                f"{item % 28 + 1}/11/2025.",
                "",
            ]
    out += ["**PHỤ LỤC**", "|", "**STT**", "|", "**Nhiệm vụ**", "|", "**Cơ quan chủ trì**", "|"]
    out += ["**Thời gian hoàn thành**", "|"]
    for row in range(1, PAGES * 4):
        out += ["|", str(row), "|", f"Nhiệm vụ {row} trong phụ lục", "|", UNITS[row % 4], "|", "Quý II/2025", "|"]
    return "\n".join(out)


def pdf_plan() -> bytes:
    """PAGES pages of the Markdown plan's text, one line per printed line (DejaVu Sans)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    matplotlib.rcParams["pdf.fonttype"] = 42
    lines = [line.replace("**", "") for line in markdown_plan().splitlines() if line.strip() not in ("|",)]
    out = io.BytesIO()
    with PdfPages(out) as pages:
        for page in range(PAGES):
            chunk = lines[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]
            if not chunk:
                break
            figure = plt.figure(figsize=(8.27, 11.69))
            for row, text in enumerate(chunk):
                figure.text(0.08, 0.95 - row * 0.022, text, fontsize=10, family="DejaVu Sans")
            pages.savefig(figure)
            plt.close(figure)
    return out.getvalue()


def bare_pdf_seconds(data: bytes) -> float:
    import pdfplumber

    started = time.perf_counter()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
    return time.perf_counter() - started


def measure(data: bytes, filename: str, kind: FileKind) -> tuple[float, int]:
    started = time.perf_counter()
    plan = read_document(data, filename, ImportOptions(today=date(2025, 1, 5)), kind=kind)
    return time.perf_counter() - started, len(plan.tasks)


def main() -> int:
    text = text_plan().encode("utf-8")
    markdown = markdown_plan().encode("utf-8")
    docx_data = docx_plan()
    ok = True
    for name, data, kind, filename in (
        ("text plan (50 pages)", text, FileKind.TEXT, "bench.txt"),
        ("markdown plan (50 pages)", markdown, FileKind.TEXT, "bench.md"),
        ("docx plan with tables", docx_data, FileKind.DOCX, "bench.docx"),
    ):
        seconds, tasks = measure(data, filename, kind)
        ok &= seconds <= BUDGET_SECONDS
        print(f"{name:28} {seconds:6.2f} s  {tasks:5d} tasks  (budget {BUDGET_SECONDS:.1f} s)")
    pdf = pdf_plan()
    bare = bare_pdf_seconds(pdf)
    seconds, tasks = measure(pdf, "bench.pdf", FileKind.PDF)
    ok &= seconds <= PDF_RATIO * bare
    print(
        f"{'pdf plan (50 pages)':28} {seconds:6.2f} s  {tasks:5d} tasks  "
        f"(pdfplumber extract_text {bare:.2f} s, ratio {seconds / bare:.2f}, budget {PDF_RATIO:.1f}×)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
