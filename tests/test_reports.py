"""The reports that go upward (issue 28), pure: the Excel annex and the Word báo cáo read back with
openpyxl and python-docx, every element the issue lists; the counts equal the digest's; both open
in LibreOffice (converted to PDF) with a sane page count."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from docx.shared import Pt
from openpyxl import load_workbook

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.reminders.digest import build_digest
from bot.core.reports.data import Issuer, PlanRef, Report, collect, person_label
from bot.core.reports.document import build_docx
from bot.core.reports.wording import (
    abbreviation,
    dated_line,
    document_kind,
    period_phrase,
    place_of,
    reporting_period,
    short_name,
    signer_title,
)
from bot.core.reports.workbook import HEADER_ROW, SUMMARY_HEADERS, TASK_HEADERS, build_xlsx

TODAY = date(2026, 10, 15)
DEPT, OFFICE, UNIT, OTHER = 1, 2, 3, 9
NAMES = {DEPT: "Sở Tư pháp", OFFICE: "Văn phòng Sở", UNIT: "Phòng Phổ biến, giáo dục pháp luật"}
PEOPLE = {"telegram:5": "Nguyễn Thị Lan (Văn phòng Sở)"}
LONG = (
    "Xây dựng, trình Ủy ban nhân dân tỉnh ban hành Kế hoạch cải cách hành chính năm 2026 và tổ chức "
    "triển khai thực hiện trong toàn ngành, báo cáo kết quả về Ủy ban nhân dân tỉnh đúng thời hạn quy định"
)
PLANS = {
    10: PlanRef("444/KH-STP", "Kế hoạch cải cách hành chính năm 2026", date(2026, 1, 10)),
    11: PlanRef("", "Kế hoạch phổ biến, giáo dục pháp luật năm 2026", date(2026, 2, 1)),
}


def occ(oid: int, due: date, **kw: object) -> OccurrenceView:
    return OccurrenceView(oid, due, **kw)  # type: ignore[arg-type]


def tasks() -> list[TaskView]:
    def tv(tid: int, lead: int, title: str, plan: int, *occs: OccurrenceView, reports: tuple = (), **kw: object) -> TaskView:
        return TaskView(tid, title, lead, NAMES.get(lead, "Sở khác"), Kind.ONCE, partners=kw.pop("partners", ""),  # type: ignore[arg-type]
                        plan_id=plan, occurrences=occs, reports=reports, **kw)  # type: ignore[arg-type]

    done = OccurrenceStatus.DONE
    return [
        tv(1, DEPT, LONG, 10, occ(11, date(2026, 3, 31), status=done, done_at=date(2026, 3, 30), done_by="telegram:5",
                                  note="Báo cáo số 12/BC-STP"), partners="Các phòng chuyên môn"),
        tv(2, OFFICE, "Báo cáo quý về công tác cải cách hành chính", 10,
           occ(21, date(2026, 3, 31), status=done, done_at=date(2026, 4, 2), done_by="console:console"),
           occ(22, date(2026, 6, 30), in_progress=True, progress_note="đang tổng hợp"),
           occ(23, date(2026, 9, 30), original_due=date(2026, 9, 15)),
           occ(24, date(2026, 12, 31))),
        tv(3, UNIT, "=Tuyên truyền, phổ biến pháp luật cho người dân", 11,
           reports=(occ(31, date(2026, 12, 31), period_start=date(2026, 1, 1), in_progress=True,
                      progress_note="đã tổ chức 3 hội nghị"),)),
        tv(4, UNIT, "+Theo dõi thi hành pháp luật", 11,
           reports=(occ(41, date(2026, 12, 31), period_start=date(2026, 1, 1), status=done, done_at=date(2026, 9, 1),
                      done_by="telegram:5", note="Đã ban hành kế hoạch theo dõi"),)),
        tv(5, OTHER, "Việc của cơ quan khác", 10, occ(51, date(2026, 7, 1))),
    ]


ISSUER = Issuer("Sở Tư pháp", "Ủy ban nhân dân tỉnh Quảng Ngãi", "Quảng Ngãi")


def report(**kw: object) -> Report:
    return collect(tasks(), agency_ids={DEPT, OFFICE, UNIT}, unit_names=NAMES, today=TODAY, people=PEOPLE,
                   issuer=ISSUER, agency="Sở Tư pháp", plans=PLANS, **kw)  # type: ignore[arg-type]


def test_people_are_names_and_units_never_ids() -> None:
    assert person_label("Nguyễn Thị Lan", "Văn phòng Sở") == "Nguyễn Thị Lan (Văn phòng Sở)"
    assert person_label("", "Văn phòng Sở") == "Văn phòng Sở" and person_label("", "") == ""
    rows = report().rows
    assert {r.confirmed_by for r in rows} == {"Nguyễn Thị Lan (Văn phòng Sở)", ""}  # console:console is nobody known


def test_xlsx_heading_block() -> None:
    wb = load_workbook(io.BytesIO(build_xlsx(report(start=date(2026, 10, 1), end=date(2026, 12, 31)))))
    assert wb.sheetnames == ["Nhiệm vụ", "Tổng hợp"]
    for ws in wb:
        top = [[c for c in row if c is not None] for row in ws.iter_rows(max_row=HEADER_ROW - 1, values_only=True)]
        assert top[0] == ["UBND TỈNH QUẢNG NGÃI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
        assert top[1] == ["SỞ TƯ PHÁP", "Độc lập - Tự do - Hạnh phúc"]
        motto = next(c for c in ws[2] if c.value == "Độc lập - Tự do - Hạnh phúc")
        assert ws["A2"].font.b and motto.font.b and motto.font.u == "single"
        assert top[3][0].startswith(("TỔNG HỢP TÌNH HÌNH", "TỔNG HỢP KẾT QUẢ"))
        assert top[4] == ["(Kèm theo Báo cáo số      /BC-STP ngày      tháng      năm 2026 của Sở Tư pháp)"]
        assert top[5] == ["Kỳ báo cáo: quý IV năm 2026. Số liệu tính đến ngày 15/10/2026."]
        # the plans covered, by number (a plan without one by its title)
        assert top[6] == ["Kế hoạch, văn bản giao nhiệm vụ: 444/KH-STP; Kế hoạch phổ biến, giáo dục pháp luật năm 2026"]
        last = "J" if ws.title == "Nhiệm vụ" else "H"
        assert {f"A4:{last}4", f"A7:{last}7"} <= {str(r) for r in ws.merged_cells.ranges}


def test_an_agency_with_no_body_above_it_stands_on_the_first_line() -> None:
    rep = collect(tasks(), agency_ids={DEPT, OFFICE, UNIT}, unit_names=NAMES, today=TODAY, issuer=Issuer("Sở Tư pháp"))
    ws = load_workbook(io.BytesIO(build_xlsx(rep)))["Nhiệm vụ"]
    assert (ws["A1"].value, ws["A1"].font.b, ws["A2"].value) == ("SỞ TƯ PHÁP", True, None)
    heading = docx.Document(io.BytesIO(build_docx(rep))).tables[0].rows[0].cells[0]
    assert [p.text for p in heading.paragraphs if p.text] == ["SỞ TƯ PHÁP", "Số:      /BC-STP"]


def test_xlsx_columns_rows_and_print_setup() -> None:
    wb = load_workbook(io.BytesIO(build_xlsx(report())))
    ws = wb["Nhiệm vụ"]
    rows = list(ws.iter_rows(min_row=HEADER_ROW, values_only=True))
    assert rows[0] == TASK_HEADERS
    assert TASK_HEADERS[1:10] == ("Kế hoạch", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn",
                                  "Tình trạng", "Ngày hoàn thành", "Kết quả, minh chứng / ghi chú", "Người xác nhận")
    # grouped by unit as the digest sorts them; rows numbered from 1 in each
    groups = [(r[0], r[1]) for r in rows[1:] if isinstance(r[0], str)]
    assert groups == [("I", "Phòng Phổ biến, giáo dục pháp luật"), ("II", "Sở Tư pháp"), ("III", "Văn phòng Sở")]
    by_title = {r[2]: r for r in rows[1:] if isinstance(r[0], int)}
    first = by_title[LONG]
    assert first[:2] == (1, "444/KH-STP") and first[3:6] == ("Sở Tư pháp", "Các phòng chuyên môn", datetime(2026, 3, 31))
    assert first[6:] == ("Hoàn thành đúng hạn", datetime(2026, 3, 30), "Báo cáo số 12/BC-STP", "Nguyễn Thị Lan (Văn phòng Sở)")
    office = [r for r in rows[1:] if r[2] == "Báo cáo quý về công tác cải cách hành chính"]
    assert [r[0] for r in office] == [1, 2, 3, 4]
    assert [r[6] for r in office] == ["Hoàn thành quá hạn", "Đang thực hiện quá hạn", "Đang thực hiện quá hạn",
                                      "Đang thực hiện trong hạn"]
    assert office[0][9] is None  # marked by the console account: no id is printed
    assert office[1][8] == "Đang thực hiện: đang tổng hợp" and office[2][8] == "Gia hạn từ 15/09/2026"
    # continuous work: its state for the period, its period in "Thời hạn"
    ongoing = by_title["=Tuyên truyền, phổ biến pháp luật cho người dân"]
    assert ongoing[1] == "Kế hoạch phổ biến, giáo dục pháp luật năm 2026"
    assert ongoing[5:7] == ("Thường xuyên (năm 2026)", "Đang thực hiện trong hạn")
    assert by_title["+Theo dõi thi hành pháp luật"][6:8] == ("Hoàn thành đúng hạn", datetime(2026, 9, 1))
    assert "Việc của cơ quan khác" not in by_title
    # print setup: A4 landscape, fit to width, header row on every page; wrapped names; dates
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    # fitToWidth absent is 1, the OOXML default
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}" and ws.freeze_panes == f"A{HEADER_ROW + 1}"
    long_row = next(c.row for c in ws["C"] if c.value == LONG)
    assert ws.cell(long_row, 3).alignment.wrap_text and ws.cell(long_row, 9).alignment.wrap_text
    assert ws.row_dimensions[long_row].height >= 30  # tall enough for the wrapped name
    assert ws.cell(long_row, 6).number_format == "DD/MM/YYYY" and ws.cell(long_row, 6).is_date
    assert ws.cell(long_row, 3).font.name == "Times New Roman" and ws.cell(long_row, 3).border.left.style == "thin"
    # text from plans is never a formula
    for row in ws.iter_rows(min_row=HEADER_ROW):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    quoted = [c for c in ws["C"] if isinstance(c.value, str) and c.value[:1] in "=+"]
    assert len(quoted) == 2 and all(c.data_type == "s" and c.quotePrefix for c in quoted)


def test_summary_sheet_counts_equal_the_detail_and_the_digest() -> None:
    rep = report()
    wb = load_workbook(io.BytesIO(build_xlsx(rep)))
    summary = list(wb["Tổng hợp"].iter_rows(min_row=HEADER_ROW, values_only=True))
    assert summary[0] == SUMMARY_HEADERS
    digest = build_digest(tasks(), agency_ids={DEPT, OFFICE, UNIT}, unit_names=NAMES, today=TODAY)
    per_unit = {r[1]: r[2:8] for r in summary[1:] if r[1] and r[0] is not None}
    expected = {u.name: (u.counts.total, u.counts.done_on_time, u.counts.done_late, u.counts.open_on_time,
                         u.counts.open_late, round(u.counts.late_rate, 4)) for u in digest.units}
    assert per_unit == expected
    assert per_unit["Văn phòng Sở"] == (4, 0, 1, 1, 2, 0.75)
    assert per_unit["Phòng Phổ biến, giáo dục pháp luật"] == (2, 1, 0, 1, 0, 0)  # continuous work is never late
    total = next(r for r in summary if r[1] == "Tổng cộng")
    assert total[2:7] == (7, 2, 1, 2, 2) and digest.total.total == 7 and digest.continuous == 2
    # the detail: one row per counted occurrence, its states counted the same
    states = [r[6] for r in wb["Nhiệm vụ"].iter_rows(min_row=HEADER_ROW + 1, values_only=True) if isinstance(r[0], int)]
    assert len(states) == 7 and states.count("Đang thực hiện quá hạn") == digest.total.open_late
    assert any("thường xuyên" in str(r[1]) for r in summary)


def test_a_range_bounds_dated_rows_and_keeps_continuous_work_whose_period_overlaps() -> None:
    q4 = report(start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert sorted(r.title[:12] for r in q4.rows) == ["+Theo dõi th", "=Tuyên truyề", "Báo cáo quý "]
    november = report(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert [r.period for r in november.rows] == ["năm 2026", "năm 2026"]  # the year's report covers November
    digest = build_digest(tasks(), agency_ids={DEPT, OFFICE, UNIT}, unit_names=NAMES, today=TODAY,
                          period=(date(2026, 11, 1), date(2026, 11, 30)))
    assert november.total.as_dict() == digest.total.as_dict() and digest.total.total == 2
    assert report(start=date(2027, 1, 1)).rows == []


def _texts(document: docx.document.Document) -> list[str]:
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                out.extend(p.text for p in cell.paragraphs)
    return out


def _runs(document: docx.document.Document, text: str) -> list:
    found = []
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for p in paragraphs:
        if p.text == text:
            found.extend(p.runs)
    assert found, text
    return found


def test_docx_page_fonts_and_heading_as_nd30() -> None:
    document = docx.Document(io.BytesIO(build_docx(report(start=date(2026, 1, 1), end=date(2026, 12, 31)))))
    section = document.sections[0]
    mm = {k: round(getattr(section, k).mm, 1) for k in ("page_width", "page_height", "top_margin", "bottom_margin",
                                                         "left_margin", "right_margin")}
    assert (mm["page_width"], mm["page_height"]) == (210, 297) and section.orientation == 0  # A4 portrait
    assert 20 <= mm["top_margin"] <= 25 and 20 <= mm["bottom_margin"] <= 25
    assert 30 <= mm["left_margin"] <= 35 and 15 <= mm["right_margin"] <= 20
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and Pt(13) <= normal.font.size <= Pt(14)
    fonts = normal.element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{k}") for k in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}
    texts = _texts(document)
    heading = document.tables[0].rows[0].cells
    assert [p.text for p in heading[0].paragraphs if p.text] == ["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP", "Số:      /BC-STP"]
    assert all(r.bold for r in _runs(document, "SỞ TƯ PHÁP"))
    assert all(r.bold for r in _runs(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
    assert all(r.bold and r.underline for r in _runs(document, "Độc lập - Tự do - Hạnh phúc"))
    assert "Quảng Ngãi, ngày 15 tháng 10 năm 2026" in texts
    assert all(r.italic for r in _runs(document, "Quảng Ngãi, ngày 15 tháng 10 năm 2026"))
    title = texts.index("BÁO CÁO")
    assert all(r.bold for r in _runs(document, "BÁO CÁO"))
    assert texts[title + 1] == "Kết quả thực hiện nhiệm vụ năm 2026"
    assert section.different_first_page_header_footer and "PAGE" in section.header._element.xml


def test_the_trich_yeu_names_the_one_plan_and_its_number_does_not_break() -> None:
    one = [t for t in tasks() if t.plan_id == 10]
    rep = collect(one, agency_ids={DEPT, OFFICE}, unit_names=NAMES, today=TODAY, issuer=ISSUER, plans=PLANS,
                  start=date(2026, 10, 1), end=date(2026, 12, 31))
    document = docx.Document(io.BytesIO(build_docx(rep)))
    texts = [p.text for p in document.paragraphs]
    subject = document.paragraphs[texts.index("BÁO CÁO") + 1]
    assert subject.text == "Kết quả thực hiện nhiệm vụ quý IV năm 2026 theo Kế hoạch số 444/KH-STP"
    assert "noBreakHyphen" in subject._p.xml and all(r.bold for r in subject.runs)


def test_docx_body_table_and_signature() -> None:
    rep = report()
    document = docx.Document(io.BytesIO(build_docx(rep)))
    texts = _texts(document)
    body = "\n".join(texts)
    assert texts[texts.index("BÁO CÁO") + 1] == "Tình hình thực hiện nhiệm vụ được giao"
    assert body.count("Thực hiện Kế hoạch số 444/KH-STP ngày 10/01/2026; văn bản “Kế hoạch phổ biến") == 1
    assert "1. Tổng số nhiệm vụ được giao: 7 lượt nhiệm vụ (trong đó 2 lượt nhiệm vụ thường xuyên" in body
    assert "2. Đã hoàn thành: 3 lượt, trong đó hoàn thành đúng hạn 2, hoàn thành quá hạn 1." in body
    assert "3. Đang thực hiện: 4 lượt, trong đó trong hạn 2, quá hạn 2." in body
    assert re.search(r"4\. Tỷ lệ quá hạn[^:]*: 42,9%", body)
    assert "5. Gia hạn: 1 lượt nhiệm vụ được gia hạn" in body
    overdue = texts.index("1. Văn phòng Sở: 2 lượt nhiệm vụ quá hạn")
    assert texts[overdue + 1].startswith("- Báo cáo quý về công tác cải cách hành chính (hạn 30/06/2026, quá hạn 107 ngày)")
    for part in ("II. NHIỆM VỤ QUÁ HẠN", "III. TỔNG HỢP THEO ĐƠN VỊ", "IV. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ"):
        assert part in texts
    assert texts[-0 or len(document.paragraphs) - 1].endswith("của Sở Tư pháp./.")
    # the table by unit: the digest's counts, header repeated on each page
    table = document.tables[1]
    assert [c.text for c in table.rows[0].cells][:3] == ["STT", "Đơn vị", "Tổng số"]
    assert "tblHeader" in table.rows[0]._tr.xml
    digest = build_digest(tasks(), agency_ids={DEPT, OFFICE, UNIT}, unit_names=NAMES, today=TODAY)
    got = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert got[:-1] == [[str(i), u.name, str(u.counts.total), str(u.counts.done_on_time), str(u.counts.done_late),
                         str(u.counts.open_on_time), str(u.counts.open_late), got[i - 1][7]]
                        for i, u in enumerate(digest.units, 1)]
    assert got[-1][1:7] == ["Tổng cộng", "7", "2", "1", "2", "2"]
    # Nơi nhận and the signer's block
    received, signer = document.tables[2].rows[0].cells
    assert [p.text for p in received.paragraphs if p.text] == ["Nơi nhận:", "- UBND tỉnh Quảng Ngãi (để báo cáo);", "- Lưu: VT."]
    assert [p.text for p in signer.paragraphs if p.text] == ["GIÁM ĐỐC", "(Ký, ghi rõ họ tên)"]
    assert all(r.italic for r in _runs(document, "(Ký, ghi rõ họ tên)"))


def test_wording_of_the_forms() -> None:
    assert abbreviation("Sở Tài nguyên và Môi trường") == "STNMT"
    assert abbreviation("Sở Lao động - Thương binh và Xã hội") == "SLĐTBXH"
    assert abbreviation("Ủy ban nhân dân tỉnh Quảng Ngãi") == abbreviation("UBND huyện Bình Sơn") == "UBND"
    assert signer_title("Sở Y tế") == "GIÁM ĐỐC" and signer_title("Văn phòng Sở") == "CHÁNH VĂN PHÒNG"
    assert signer_title("Phòng Tư pháp") == "TRƯỞNG PHÒNG" and signer_title("UBND xã Tịnh Khê") == "CHỦ TỊCH"
    assert signer_title("Hội Chữ thập đỏ") == "THỦ TRƯỞNG CƠ QUAN"
    assert place_of("Tỉnh Quảng Ngãi", ["Sở Y tế"]) == "Quảng Ngãi"
    assert place_of("", ["Công an thành phố", "Ủy ban nhân dân thành phố Cần Thơ"]) == "Cần Thơ"
    assert place_of("", ["Sở Y tế"]) == ""
    assert dated_line("Huế", date(2026, 2, 5)) == "Huế, ngày 05 tháng 02 năm 2026"
    assert dated_line("", date(2026, 11, 20)) == "……, ngày 20 tháng 11 năm 2026"
    assert period_phrase(date(2026, 10, 1), date(2026, 12, 31)) == "quý IV năm 2026"
    assert period_phrase(date(2026, 11, 1), date(2026, 11, 30)) == "tháng 11 năm 2026"
    assert period_phrase(date(2026, 7, 1), date(2026, 12, 31)) == "6 tháng cuối năm 2026"
    assert period_phrase(date(2026, 10, 5), date(2026, 12, 31)) == "từ ngày 05/10/2026 đến ngày 31/12/2026"
    assert period_phrase(None, date(2026, 6, 30)) == "đến ngày 30/06/2026" and period_phrase(None, None) == ""
    assert reporting_period(date(2026, 4, 1), date(2026, 6, 30)) == "quý II/2026"
    assert document_kind("444/KH-SCT") == "Kế hoạch" and document_kind("1627/QĐ-UBND") == "Quyết định"
    assert document_kind("6225/BVHTTDL-VP") == "Văn bản"
    assert short_name("Ủy ban nhân dân thành phố Cần Thơ") == "UBND thành phố Cần Thơ"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def _many(n: int) -> Report:
    """A unit's year: n occurrences with long names, so the annex spans pages."""
    many = [TaskView(100 + i, f"{LONG} (đợt {i})", OFFICE, "Văn phòng Sở", Kind.ONCE, plan_id=10,
                     occurrences=(occ(1000 + i, date(2026, 1 + i % 12, 1 + i % 28)),)) for i in range(n)]
    return collect(many, agency_ids={DEPT, OFFICE}, unit_names=NAMES, today=TODAY, issuer=ISSUER,
                   agency="Sở Tư pháp", plans=PLANS)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed here: the XLSX and DOCX "
                    "are not converted to PDF (CI installs it; see .ci/run)")
def test_libreoffice_opens_both_without_repair(tmp_path: Path) -> None:
    """`soffice --headless --convert-to pdf` reads each file as it is (a file it cannot read gives
    no PDF), and the page counts fit what is in them."""
    files = {"phu-luc.xlsx": build_xlsx(report()), "bao-cao.docx": build_docx(report()),
             "phu-luc-300.xlsx": build_xlsx(_many(300))}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    done = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), *(str(tmp_path / name) for name in files)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    pages = {name: _pdf_pages(tmp_path / "pdf" / name.replace(".xlsx", ".pdf").replace(".docx", ".pdf"))
             for name in files}
    assert pages["phu-luc.xlsx"] == 2  # one page per sheet: fit to width, nothing cut off
    assert 1 <= pages["bao-cao.docx"] <= 3
    # 300 wrapped rows: fit to width, as many pages down as needed (not one page, not one per row)
    assert 5 <= pages["phu-luc-300.xlsx"] <= 40, pages
