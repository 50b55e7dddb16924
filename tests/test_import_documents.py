"""Reading plans from Word, PDF and text files, and the prose layouts inside them."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pytest

from bot.core.domain import ImportRefused, Kind
from bot.core.importing.documents import plan_from_text, read_document
from bot.core.importing.guard import FileKind
from bot.core.importing.options import ImportOptions
from bot.core.importing.plan_facts import plan_facts

TODAY = date(2022, 1, 5)

FIELD_PLAN = """UBND TỈNH QUẢNG NGÃI
SỞ TƯ PHÁP
Số: 15/KH-STP
Quảng Ngãi, ngày 10 tháng 2 năm 2022
KẾ HOẠCH
Phổ biến pháp luật năm 2022

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Văn phòng Sở có trách nhiệm nâng cao nhận thức pháp luật trước ngày 30/6/2022.
II. NHIỆM VỤ
1. Tổ chức hội nghị phổ biến Luật Hòa giải ở cơ sở
- Đơn vị chủ trì thực hiện: Phòng Phổ biến, giáo dục pháp luật
- Đơn vị phối hợp: Văn phòng Sở
- Thời gian thực hiện: Quý II/2022
2. Biên soạn tài liệu tuyên truyền
- **Đơn vị chủ trì:** Văn phòng Sở
- *Thời gian thực hiện:* trước ngày 15/9/2022
"""


def test_numbered_items_with_field_lines_and_markdown() -> None:
    plan = plan_from_text(FIELD_PLAN, ImportOptions(today=TODAY))
    assert (plan.issuer, plan.number, plan.year) == ("Sở Tư pháp", "15/KH-STP", 2022)
    assert [t.title for t in plan.tasks] == [
        "Tổ chức hội nghị phổ biến Luật Hòa giải ở cơ sở",
        "Biên soạn tài liệu tuyên truyền",
    ]
    first, second = plan.tasks
    assert first.lead == "Phòng Phổ biến, giáo dục pháp luật"
    assert first.partners == "Văn phòng Sở"
    assert first.dates == (date(2022, 6, 30),)
    assert first.source == "dòng 12"
    assert second.lead == "Văn phòng Sở"
    assert second.dates == (date(2022, 9, 15),)


UNIT_PLAN = """KẾ HOẠCH
Cải cách hành chính năm 2023

I. Mục đích, yêu cầu
- Sở Nội vụ có trách nhiệm theo dõi chung.
II. Tổ chức thực hiện
1. Sở Tư pháp:
- Rà soát văn bản quy phạm pháp luật của tỉnh.
- Báo cáo kết quả kiểm soát thủ tục hành chính hằng quý.
2. Van phông UBND tinh chủ trì tham mưu:
a) Vận hành Trung tâm Phục vụ hành chính công.
3. Các sở, ban, ngành căn cứ Kế hoạch này chủ động thực hiện.
4. Các phòng, đơn vị báo cáo kết quả về Văn phòng Sở trước ngày 10/12 hằng năm.
5. Văn phòng Sở có trách nhiệm tổng hợp, báo cáo Giám đốc Sở.
"""


def test_unit_sections_duty_sentences_and_known_agencies() -> None:
    plan = plan_from_text(
        UNIT_PLAN, ImportOptions(today=TODAY, known_agencies=("Văn phòng UBND tỉnh", "Sở Tư pháp", "Sở Nội vụ"))
    )
    got = [(t.title, t.lead) for t in plan.tasks]
    assert got[:3] == [
        ("Rà soát văn bản quy phạm pháp luật của tỉnh", "Sở Tư pháp"),
        ("Báo cáo kết quả kiểm soát thủ tục hành chính", "Sở Tư pháp"),
        ("Vận hành Trung tâm Phục vụ hành chính công", "Văn phòng UBND tỉnh"),
    ]
    assert plan.tasks[1].kind == Kind.RECURRING
    report = plan.tasks[3]
    assert report.lead == "Các phòng, đơn vị"
    assert report.partners == "Văn phòng Sở"
    assert report.deadline == "trước ngày 10/12 hằng năm"
    assert report.dates == (date(2023, 12, 10),)
    assert plan.tasks[4].lead == "Văn phòng Sở"
    assert len(plan.tasks) == 5  # purpose section and the general exhortation are not tasks
    assert any("không ghi thời hạn" in w and "dòng" in w for w in plan.warnings)


def test_plan_facts_from_damaged_header() -> None:
    text = (
        "UBND TINH QUANG NGAI CONG HOA XA HQI CHU NGHIA VIET NAM\n"
        "SO KHOA HQC VA CONG NGHE Déc 1ap - Tw do - Hanh phuc\n"
        "86: 272 |KH-SKHCN Quang Ngdi, ngay 15 thang 3 nam 2022\nKE HOACH\n"
    )
    assert plan_facts(text) == ("Sở Khoa học và Công nghệ", "272/KH-SKHCN", date(2022, 3, 15))


def test_issuer_from_the_body_when_there_is_no_header() -> None:
    text = (
        "KẾ HOẠCH\nThi đua\nThực hiện Quyết định số 93/QĐ-UBND; Sở Công Thương xây dựng Kế hoạch như sau:\n"
    )
    assert plan_facts(text)[0] == "Sở Công Thương"


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258_form(text: str) -> str:
    """Windows-1258 has ơ, ư, â… precomposed but writes tones as combining marks."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out:
            out[-1] += ch
        else:
            out.append(ch)
    fixed = []
    for cluster in out:
        marks = cluster[1:]
        shape = "".join(m for m in marks if m not in _TONES)
        tones = "".join(m for m in marks if m in _TONES)
        fixed.append(unicodedata.normalize("NFC", cluster[0] + shape) + tones)
    return "".join(fixed)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1258"])
def test_text_files_in_other_encodings(encoding: str) -> None:
    text = _cp1258_form(FIELD_PLAN) if encoding == "cp1258" else FIELD_PLAN
    data = text.encode(encoding)
    plan = read_document(data, "plan.txt", ImportOptions(today=TODAY), kind=FileKind.TEXT)
    assert len(plan.tasks) == 2
    assert plan.tasks[0].lead == "Phòng Phổ biến, giáo dục pháp luật"
    assert plan.source_hash and plan.source_file == "plan.txt"


# ----------------------------------------------------------------------------- Word


def _docx_bytes() -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("SỞ CÔNG THƯƠNG")
    document.add_paragraph("Số: 444/KH-SCT")
    document.add_paragraph("Quảng Ngãi, ngày 16 tháng 3 năm 2022")
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Cải cách hành chính năm 2022")
    document.add_paragraph("II. NHIỆM VỤ")
    document.add_paragraph("1. Xây dựng cơ sở dữ liệu ngành công thương")
    document.add_paragraph("- Đơn vị chủ trì thực hiện: Phòng Kế hoạch - Tài chính")
    document.add_paragraph("- Thời gian thực hiện: Tháng 7/2022")
    header = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    pages = [
        [["1", "Rà soát thủ tục hành chính", "Văn phòng Sở", "Các phòng", "Quý I/2022"]],
        [
            ["2", "Số hóa hồ sơ", "Phòng Quản lý thương mại", "", "trước ngày 30/6/2022"],
            ["3", "Báo cáo cải cách hành chính", "Văn phòng Sở", "", "Quý IV/2022"],
        ],
    ]
    for rows in pages:  # one table per page, the header repeated on the second
        table = document.add_table(rows=1 + len(rows), cols=len(header))
        for col, text in enumerate(header):
            table.cell(0, col).text = text
        for r, row in enumerate(rows, start=1):
            for col, text in enumerate(row):
                table.cell(r, col).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_tables_split_across_pages_and_numbered_paragraphs() -> None:
    plan = read_document(_docx_bytes(), "ke-hoach.docx", ImportOptions(today=TODAY), kind=FileKind.DOCX)
    assert (plan.issuer, plan.number, plan.year) == ("Sở Công Thương", "444/KH-SCT", 2022)
    by_title = {t.title: t for t in plan.tasks}
    assert set(by_title) == {
        "Rà soát thủ tục hành chính",
        "Số hóa hồ sơ",
        "Báo cáo cải cách hành chính",
        "Xây dựng cơ sở dữ liệu ngành công thương",
    }
    assert by_title["Số hóa hồ sơ"].source == "bảng 2, hàng 2"
    assert by_title["Số hóa hồ sơ"].dates == (date(2022, 6, 30),)
    assert by_title["Rà soát thủ tục hành chính"].partners == "Các phòng"
    paragraph_task = by_title["Xây dựng cơ sở dữ liệu ngành công thương"]
    assert paragraph_task.lead == "Phòng Kế hoạch - Tài chính"
    assert paragraph_task.dates == (date(2022, 7, 31),)
    assert paragraph_task.source.startswith("đoạn ")


def test_broken_docx_is_refused() -> None:
    with pytest.raises(ImportRefused):
        read_document(b"PK\x03\x04 not really a zip", "x.docx", ImportOptions(today=TODAY), kind=FileKind.DOCX)


# ----------------------------------------------------------------------------- PDF


def _pdf_bytes(lines: list[str]) -> bytes:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType text: a real text layer
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    with PdfPages(out) as pdf:
        figure = plt.figure(figsize=(8.27, 11.69))
        for index, line in enumerate(lines):
            figure.text(0.05, 0.95 - index * 0.03, line, fontsize=9)
        if not lines:
            figure.add_artist(plt.Rectangle((0.1, 0.1), 0.5, 0.5, color="gray"))
        pdf.savefig(figure)
        plt.close(figure)
    return out.getvalue()


def test_pdf_text_layer_is_read_with_page_and_line() -> None:
    data = _pdf_bytes(FIELD_PLAN.splitlines())
    plan = read_document(data, "ke-hoach.pdf", ImportOptions(today=TODAY), kind=FileKind.PDF)
    assert plan.issuer == "Sở Tư pháp"
    assert [t.title for t in plan.tasks][:1] == ["Tổ chức hội nghị phổ biến Luật Hòa giải ở cơ sở"]
    assert plan.tasks[0].dates == (date(2022, 6, 30),)
    assert plan.tasks[0].source.startswith("trang 1, dòng ")


def test_scanned_pdf_without_text_is_refused() -> None:
    with pytest.raises(ImportRefused, match="không có lớp chữ"):
        read_document(_pdf_bytes([]), "scan.pdf", ImportOptions(today=TODAY), kind=FileKind.PDF)


def test_word_task_table_nested_in_a_layout_table_with_a_tracked_insertion() -> None:
    """Issue 26 item 6: the task table inside a one-cell layout table is read (all 4 tasks, before
    none), and a cell's tracked insertion is part of its text (tests/data/tables/, made by
    benchmarks/tools/make_hard_table.py)."""
    from pathlib import Path

    from bot.core.importing.reader import read_plan

    path = Path(__file__).resolve().parent / "data" / "tables" / "ke-hoach-bang-long.docx"
    plan = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2022, 1, 5)))
    assert [(t.title, t.lead) for t in plan.tasks] == [
        ("Rà soát văn bản quy phạm pháp luật", "Phòng Xây dựng và Kiểm tra văn bản"),
        ("Kiểm tra công tác pháp chế tại các sở", "Thanh tra Sở"),
        ("Tập huấn nghiệp vụ pháp chế", "Văn phòng Sở"),
        ("Tổng kết công tác pháp chế", "Phòng Hành chính tư pháp"),
    ]
    assert plan.tasks[0].source == "bảng 1.1, hàng 2"
    assert (plan.issuer, plan.number, plan.title) == ("Sở Tư pháp", "15/KH-STP", "Công tác pháp chế năm 2022")


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
def test_appendix_table_after_the_signature_word_and_pdf_alike(suffix: str) -> None:
    """Issue 26 item 3: a decision with its appendix task table after the signature — a two-row
    header ("Phân công" over "Cơ quan chủ trì" / "Cơ quan phối hợp"), a lead merged down over two
    rows, a continuation row, a range in "Thời gian" (its end) — read alike from Word and PDF;
    the decision's subject is the plan's title; the signer's title is no task."""
    from pathlib import Path

    from bot.core.importing.reader import read_plan

    path = Path(__file__).resolve().parent / "data" / "tables" / f"qd-phu-luc-bang-gop.{suffix}"
    plan = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2025, 3, 5)))
    assert (plan.issuer, plan.number, plan.date, plan.title) == (
        "Ủy ban nhân dân tỉnh Quảng Ngãi",
        "20/QĐ-UBND",
        date(2025, 3, 5),
        "Ban hành Kế hoạch chuyển đổi số năm 2025",
    )
    assert [(t.title, t.lead, t.partners, t.dates) for t in plan.tasks] == [
        ("Xây dựng cơ sở dữ liệu đất đai", "Sở Nông nghiệp và Môi trường", "Sở Tài chính, UBND các xã, phường", (date(2026, 12, 31),)),
        ("Triển khai nền tảng số dùng chung và hướng dẫn các xã sử dụng", "Sở Khoa học và Công nghệ", "Các sở, ban, ngành", (date(2025, 9, 30),)),
        ("Đào tạo kỹ năng số cho cán bộ", "Sở Nội vụ", "Sở Khoa học và Công nghệ", (date(2025, 9, 30),)),
        ("Báo cáo kết quả thực hiện", "Sở Khoa học và Công nghệ", "", (date(2025, 12, 15),)),
        ("Tổng kết đánh giá kế hoạch", "Sở Khoa học và Công nghệ", "", (date(2025, 12, 31),)),
    ]


def test_every_warning_names_its_place() -> None:
    """Nothing dropped without a word (issue 26 item 6), and the word says where: every warning
    and error of the developed real plans (text, Word, PDF) and of the hard table fixtures names
    its line, paragraph, page, row, cell or sheet."""
    import re
    from pathlib import Path

    from bot.core.importing.reader import read_plan
    from tests.gold_scoring import HELD_BACK

    place = re.compile(r"\b(?:dòng|đoạn|trang|hàng|ô|bảng|Dòng|Đoạn|Trang|Hàng|Bảng)\s+\S", re.UNICODE)
    data = Path(__file__).resolve().parent / "data"
    paths = [
        p
        for p in sorted((data / "plans-real").iterdir())
        if p.suffix in (".md", ".docx", ".pdf") and p.stem not in HELD_BACK and p.name != "README.md"
    ] + sorted((data / "tables").iterdir())
    unplaced = []
    for path in paths:
        plan = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2025, 6, 1)))
        unplaced += [(path.name, w) for w in (*plan.warnings, *plan.errors) if not place.search(w)]
    assert unplaced == []
