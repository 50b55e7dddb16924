"""Reading task tables (CSV, XLSX) into a ParsedPlan: layouts offices really send."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from datetime import date, datetime

import openpyxl
import pytest

from bot.core.domain import ImportRefused, Kind
from bot.core.importing.headers import classify_header, find_header
from bot.core.importing.options import Dating, ImportOptions
from bot.core.importing.tables import read_table, tasks_from_rows
from tests.conftest import EXAMPLES

TODAY = date(2022, 5, 1)
SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


def xlsx_bytes(build) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ("TT", "number"),
        ("STT", "number"),
        ("Số TT", "number"),
        ("Nhiệm vụ", "title"),
        ("Nhiệm vụ cụ thể", "title"),
        ("Nội dung công việc", "title"),
        ("NOI DUNG", "title"),
        ("Tên nhiệm vụ", "title"),
        ("Công việc", "title"),
        ("Cơ quan chủ trì", "lead"),
        ("Đơn vị chủ trì thực hiện", "lead"),
        ("Chủ trì", "lead"),
        ("co quan thuc hien", "lead"),
        ("Đơn vị thực hiện", "lead"),
        ("Cơ quan phối hợp", "partners"),
        ("Đơn vị phối hợp thực hiện", "partners"),
        ("Phối hợp", "partners"),
        ("Thời gian hoàn thành", "deadline"),
        ("Thời hạn", "deadline"),
        ("THOI HAN HOAN THANH", "deadline"),
        ("Thời gian thực hiện", "deadline"),
        ("Tiến độ", "deadline"),
        ("Kết quả", "output"),
        ("Sản phẩm", "output"),
        ("Kết quả/Sản phẩm", "output"),
        ("Sản phẩm đầu ra", "output"),
        ("Hoạt động", "activity"),
        ("Ghi chú", "note"),
        ("Kinh phí thực hiện", None),
        ("Thời gian bắt đầu", None),
        ("Sở Nội vụ", None),
        ("", None),
    ],
)
def test_classify_header_knows_the_usual_column_names(cell: str, field: str | None) -> None:
    assert classify_header(cell) == field
    nfd = unicodedata.normalize("NFD", cell)
    assert classify_header(nfd) == field


def test_find_header_skips_title_rows_and_joins_a_two_row_header() -> None:
    rows = [
        ["UBND TỈNH QUẢNG NGÃI", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["KẾ HOẠCH thực hiện nhiệm vụ năm 2022"],
        [],
        ["TT", "Nhiệm vụ", "Cơ quan", "", "Thời hạn"],
        ["", "", "Chủ trì", "Phối hợp", ""],
        ["1", "Việc một", "Sở Nội vụ", "Sở Tư pháp", "Quý II/2022"],
    ]
    index, columns = find_header(rows)
    assert index == 4
    assert columns == {"number": 0, "title": 1, "lead": 2, "partners": 3, "deadline": 4}


def test_find_header_needs_a_title_and_a_lead_or_deadline() -> None:
    assert find_header([["TT", "Nhiệm vụ", "Kết quả"], ["1", "x", "y"]]) is None
    assert find_header([["Tên", "Tuổi"], ["An", "3"]]) is None
    assert find_header([["STT", "Nội dung", "Tiến độ"]]) == (0, {"number": 0, "title": 1, "deadline": 2})


# --------------------------------------------------------------------------- CSV


def test_sample_table_gives_its_ten_tasks_with_leads_and_dates() -> None:
    data = SAMPLE.read_bytes()
    plan = read_table(data, SAMPLE.name, ImportOptions(today=TODAY, issuer="UBND tỉnh Quảng Ngãi", plan="12/KH-UBND"))
    assert len(plan.tasks) == 10
    assert plan.errors == ()
    assert plan.issuer == "UBND tỉnh Quảng Ngãi" and plan.number == "12/KH-UBND"
    assert plan.year == 2022  # the commonest year among the deadlines
    assert plan.source_file == SAMPLE.name
    assert plan.source_hash == hashlib.sha256(data).hexdigest()
    first = plan.tasks[0]
    assert first.number == "1"
    assert first.title == "Rà soát quy trình nội bộ giải quyết TTHC lĩnh vực đất đai"
    assert first.lead == "Sở Tài nguyên và Môi trường"
    assert first.partners == "Văn phòng UBND tỉnh"
    assert first.deadline == "Quý II/2022"
    assert first.kind == Kind.ONCE and first.dates == (date(2022, 6, 30),)
    assert first.output == "Quyết định"
    assert first.source == "hàng 2"
    assert [t.lead for t in plan.tasks].count("UBND huyện Bình Sơn") == 3
    assert plan.tasks[3].lead == "Sở Văn hóa, Thể thao và Du lịch"  # quoted comma
    assert plan.tasks[5].dates == (date(2022, 12, 15),)
    assert plan.tasks[6].kind == Kind.CONTINUOUS and plan.tasks[6].dates == ()
    assert all(t.lead for t in plan.tasks)


def test_csv_with_bom_semicolons_nfd_text_and_embedded_newlines() -> None:
    text = (
        "STT;Nội dung công việc;Đơn vị thực hiện;Thời hạn\n"
        '1;"Tổ chức hội nghị\ntập huấn";Sở Nội vụ;Quý II/2022\n'
        "2;Kiểm tra công vụ;Thanh tra tỉnh;Trước ngày 15/12/2022\n"
    )
    data = b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).encode("utf-8")
    plan = read_table(data, "bang.csv", ImportOptions(today=TODAY))
    assert [t.title for t in plan.tasks] == ["Tổ chức hội nghị tập huấn", "Kiểm tra công vụ"]
    assert all(unicodedata.is_normalized("NFC", t.title + t.lead) for t in plan.tasks)
    assert plan.tasks[0].lead == "Sở Nội vụ"
    assert plan.tasks[1].source == "hàng 3"  # records, not physical lines
    assert plan.tasks[1].dates == (date(2022, 12, 15),)


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 keeps tone marks as combining characters after a precomposed vowel."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            for mark in marks:  # the vowel mark is precomposed, the tone stays combining
                vowel = unicodedata.normalize("NFC", base + mark)
                if len(vowel) == 1 and vowel != base and vowel.encode("cp1258", "ignore"):
                    base, marks = vowel, [m for m in marks if m != mark]
                    break
            out += base.encode("cp1258") + "".join(marks).encode("cp1258")
    return out


@pytest.mark.parametrize("encoding", ["utf-16", "cp1258", "utf-8"])
def test_csv_in_other_encodings_and_tab_delimited(encoding: str) -> None:
    text = "TT\tNhiệm vụ\tCơ quan chủ trì\tThời gian hoàn thành\r\n1\tSố hóa hồ sơ đất đai\tSở Tư pháp\tQuý III/2022\r\n"
    data = encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    plan = read_table(data, "bang.csv", ImportOptions(today=TODAY))
    assert plan.tasks[0].title == "Số hóa hồ sơ đất đai"
    assert plan.tasks[0].lead == "Sở Tư pháp"
    assert plan.tasks[0].dates == (date(2022, 9, 30),)


def test_csv_without_diacritics_title_rows_two_row_header_sections_and_bad_rows() -> None:
    lines = [
        "UBND TINH QUANG NGAI,,,,",
        "KE HOACH Cai cach hanh chinh nam 2023,,,,",
        "(Kem theo Ke hoach so 45/KH-UBND ngay 10 thang 1 nam 2023),,,,",
        ",,,,",
        "STT,Noi dung,Co quan,,Thoi han",
        ",,Chu tri,Phoi hop,",
        "(1),(2),(3),(4),(5)",
        "I,CAI CACH THE CHE,,,",
        "1,Ra soat van ban quy pham,So Tu phap,Cac so,Quy II",
        ",,,,",
        "2,,So Noi vu,,Quy III",
        "3,###,So Noi vu,,Quy III",
        "A. NHIEM VU KHAC,,,,",
        "STT,Noi dung,Co quan,,Thoi han",
        "4,Kiem tra cong vu,So Noi vu,,Theo quy dinh",
        "5,Bao cao dinh ky,Van phong,,",
        "Noi nhan:,,,,",
        "- Nhu tren,,,,",
    ]
    plan = read_table("\n".join(lines).encode(), "kh.csv", ImportOptions(today=TODAY))
    assert [t.number for t in plan.tasks] == ["1", "4", "5"]
    assert plan.year == 2023
    assert plan.number == "45/KH-UBND"
    assert plan.date == date(2023, 1, 10)
    assert plan.title and plan.title.startswith("KE HOACH Cai cach hanh chinh nam 2023")
    first = plan.tasks[0]
    assert (first.lead, first.partners) == ("So Tu phap", "Cac so")
    assert first.dates == (date(2023, 6, 30),)  # missing year = the plan's year
    assert first.source == "hàng 9"
    assert len(plan.errors) == 2
    assert plan.errors[0].startswith("Dòng 11:") and "thiếu tên" in plan.errors[0]
    assert plan.errors[1].startswith("Dòng 12:")
    assert any(w.startswith("Dòng 15:") and "Theo quy dinh" in w for w in plan.warnings)
    assert any(w.startswith("Dòng 16:") and "không có thời hạn" in w for w in plan.warnings)


def test_numbered_group_headings_are_not_tasks() -> None:
    lines = [
        "TT,Nhiệm vụ,Chủ trì,Thời hạn",
        "1,Lĩnh vực đất đai,,",
        "1.1,Rà soát thủ tục,Sở Tài nguyên và Môi trường,Quý II/2022",
        "1.2,Số hóa hồ sơ,Sở Tài nguyên và Môi trường,Quý III/2022",
        "2,Tổng kết năm,Sở Nội vụ,Trước ngày 15/12/2022",
        "B,Nhiệm vụ khác,,",
        "a),Rà soát quy chế,,",
    ]
    plan = read_table("\n".join(lines).encode(), "kh.csv", ImportOptions(today=TODAY))
    assert [t.number for t in plan.tasks] == ["1.1", "1.2", "2", "a)"]


def test_very_long_cell_is_kept_with_a_warning() -> None:
    long_title = "Nhiệm vụ " + "rất dài " * 1250
    text = f"TT,Nhiệm vụ,Chủ trì,Thời hạn\n1,{long_title},Sở Nội vụ,Quý II/2022\n"
    plan = read_table(text.encode(), "kh.csv", ImportOptions(today=TODAY))
    assert len(plan.tasks[0].title) >= 10_000
    assert any("rất dài" in w and w.startswith("Dòng 2") for w in plan.warnings)


def test_year_argument_wins_and_fills_missing_years() -> None:
    text = "TT,Nhiệm vụ,Chủ trì,Thời hạn\n1,Báo cáo,Sở Nội vụ,Quý I\n"
    plan = read_table(text.encode(), "kh.csv", ImportOptions(today=TODAY, year=2024))
    assert plan.year == 2024
    assert plan.tasks[0].dates == (date(2024, 3, 31),)


# --------------------------------------------------------------------------- XLSX


def _office_workbook(book: openpyxl.Workbook) -> None:
    notes = book.active
    notes.title = "Hướng dẫn"
    notes.append(["Bảng này liệt kê nhiệm vụ; xem trang sau."])
    sheet = book.create_sheet("Kế hoạch")
    sheet.append(["ỦY BAN NHÂN DÂN TỈNH", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    sheet.append(["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2022"])
    sheet.merge_cells("A2:F2")
    sheet.append([])
    sheet.append(["TT", "Nhiệm vụ", "Cơ quan", None, "Thời gian hoàn thành", "Ghi chú"])
    sheet.append([None, None, "Chủ trì", "Phối hợp", None, None])
    sheet.merge_cells("A4:A5")
    sheet.merge_cells("B4:B5")
    sheet.merge_cells("C4:D4")
    sheet.merge_cells("E4:E5")
    sheet.append(["II", "CẢI CÁCH THỂ CHẾ"])  # row 6
    sheet.append([1, "Rà soát văn bản", "Sở Tư pháp", "Các sở", datetime(2022, 3, 15), None])  # row 7
    sheet.append([2, "Tập huấn nghiệp vụ", None, None, "Quý II/2022", "Ưu tiên"])  # row 8
    sheet.append([3, "Kiểm tra thực hiện", None, None, "Theo quy định", None])  # row 9
    sheet.merge_cells("C7:C9")  # one lead for three tasks
    sheet.append(["A. NHIỆM VỤ KHÁC"])  # row 10
    sheet.merge_cells("A10:F10")
    sheet.append([4.0, "Tổng kết", "Sở Nội vụ", None, date(2022, 12, 10), None])  # row 11
    extra = book.create_sheet("Bổ sung")
    extra.append(["TT", "Nhiệm vụ", "Chủ trì", "Thời hạn"])
    extra.append([1, "Việc khác", "Sở Y tế", "Quý I/2022"])


def test_xlsx_with_title_rows_merged_cells_sections_and_real_dates() -> None:
    data = xlsx_bytes(_office_workbook)
    plan = read_table(data, "kh.xlsx", ImportOptions(today=TODAY))
    assert [t.number for t in plan.tasks] == ["1", "2", "3", "4"]
    assert [t.lead for t in plan.tasks] == ["Sở Tư pháp"] * 3 + ["Sở Nội vụ"]
    assert plan.tasks[0].partners == "Các sở"
    assert plan.tasks[0].deadline == "15/03/2022"
    assert plan.tasks[0].dates == (date(2022, 3, 15),)
    assert plan.tasks[1].note == "Ưu tiên"
    assert plan.tasks[3].dates == (date(2022, 12, 10),)
    assert plan.tasks[0].source == "Kế hoạch, hàng 7"
    assert plan.title == "KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2022"
    assert plan.year == 2022
    assert plan.errors == ()
    assert any("Theo quy định" in w and "dòng 9" in w for w in plan.warnings)
    assert any("Bổ sung" in w for w in plan.warnings)


def test_xlsx_header_in_first_row_and_number_cells() -> None:
    def build(book: openpyxl.Workbook) -> None:
        sheet = book.active
        sheet.append(["STT", "Tên nhiệm vụ", "Đơn vị chủ trì", "Tiến độ", "Sản phẩm"])
        sheet.append([1, "Xây dựng kế hoạch", "Sở Nội vụ", "Trước ngày 15/12/2022", 3])

    plan = read_table(xlsx_bytes(build), "a.xlsx", ImportOptions(today=TODAY))
    task = plan.tasks[0]
    assert (task.number, task.output, task.source) == ("1", "3", "Sheet, hàng 2")
    assert task.dates == (date(2022, 12, 15),)


def test_xlsx_header_only_is_refused() -> None:
    def build(book: openpyxl.Workbook) -> None:
        book.active.append(["TT", "Nhiệm vụ", "Chủ trì", "Thời hạn"])

    with pytest.raises(ImportRefused):
        read_table(xlsx_bytes(build), "a.xlsx", ImportOptions(today=TODAY))


# --------------------------------------------------------------------------- tasks_from_rows


def test_tasks_from_rows_for_a_word_table() -> None:
    rows = [
        ["STT", "Nhiệm vụ", "Chủ trì", "Thời hạn"],
        ["1", "Báo cáo quý", "Sở Nội vụ", "Quý II/2022"],
        ["", "", "", ""],
        ["2", "", "Sở Y tế", "Quý I/2022"],
    ]
    tasks, warnings, errors = tasks_from_rows(rows, Dating(today=TODAY, year=2022), source_prefix="bảng 2", first_row_number=1)
    assert [t.source for t in tasks] == ["bảng 2, hàng 2"]
    assert errors and errors[0].startswith("bảng 2, dòng 4")
    assert warnings == []

    _, columns = find_header(rows)
    tasks, _w, _e = tasks_from_rows(
        rows[1:2], Dating(today=TODAY), columns=columns, source_prefix="", first_row_number=7
    )
    assert tasks[0].source == "hàng 7" and tasks[0].dates == (date(2022, 6, 30),)


def test_nothing_in_a_sheet_is_dropped_without_a_word() -> None:
    """Issue 26 item 6: a date stored as a serial number in a General cell is read, rows after
    6,000 blank (formatted) rows are read, a formula without a computed value is named with its
    cell (tests/data/tables/ke-hoach-kho-doc.xlsx, made by benchmarks/tools/make_hard_table.py)."""
    from datetime import date as _date
    from pathlib import Path

    from bot.core.importing.options import ImportOptions as _Options
    from bot.core.importing.reader import read_plan

    path = Path(__file__).resolve().parent / "data" / "tables" / "ke-hoach-kho-doc.xlsx"
    plan = read_plan(path.read_bytes(), path.name, _Options(today=_date(2022, 1, 5)))
    by_title = {t.title: t for t in plan.tasks}
    assert by_title["Rà soát thủ tục hành chính"].dates == (_date(2022, 6, 30),)
    assert by_title["Tổng kết công tác năm"].source.endswith("hàng 6005")
    assert any("ô B4" in w and "công thức" in w for w in plan.warnings)
