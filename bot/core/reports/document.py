"""The Word báo cáo (pure: a `Report` in, DOCX bytes out), laid out as Nghị định 30/2020/NĐ-CP
(Phụ lục I) lays out an administrative document:

* A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman set in
  the document's styles (also for East Asian and complex scripts), body 14 pt, justified, first
  lines indented, 6 pt between paragraphs; page numbers at the top centre from page 2 on.
* The heading: the issuing agency under its parent (parent in capitals, the agency in bold
  capitals, a short rule under it) and "Số:      /BC-…" left blank for the văn thư to number;
  beside it the quốc hiệu "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold capitals), the tiêu ngữ
  "Độc lập - Tự do - Hạnh phúc" (bold, underlined) and the place and date in italics.
* "BÁO CÁO" and its trích yếu (the subject: the period, the plan when there is one).
* A short body: what was assigned, done on time, done late, in progress within and past the
  deadline, the late rate, extensions granted, the overdue work unit by unit (the first ten of
  each; the annex has every row), a table by unit, and a place for difficulties and proposals.
* "Nơi nhận:" and the signer's block: the title ("GIÁM ĐỐC" for a Sở …) and "(Ký, ghi rõ họ
  tên)" above the space left for the signature.

Every count is the digest's (`Report.digest`), as in the Excel annex.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from bot.core.reminders.digest import StateCounts, percent
from bot.core.reports.data import Report
from bot.core.reports.wording import (
    BLANK_NUMBER,
    DOTS,
    QUOC_HIEU,
    SIGN_HINT,
    TIEU_NGU,
    abbreviation,
    dated_line,
    document_kind,
    period_phrase,
    short_name,
    signer_title,
    vn_date,
)

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
OVERDUE_SHOWN = 10  # overdue tasks named per unit in the body (the annex has them all)
UNIT_HEADERS = ("STT", "Đơn vị", "Tổng số", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
                "Đang thực hiện trong hạn", "Đang thực hiện quá hạn", "Tỷ lệ quá hạn")
UNIT_WIDTHS_MM = (12, 49, 15, 18, 18, 18, 18, 17)
HEADING_MM = (75.0, 100.0)  # agency | quốc hiệu: a little wider than the text, as ND 30's samples


# -- the document's frame --------------------------------------------------------------------


def _setup(doc: DocumentObject) -> None:
    """A4 portrait with ND 30's margins; Times New Roman 14 pt everywhere."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = section.footer_distance = Mm(10)
    for name in ("Normal", "Header", "Footer", "Table Grid"):
        style = doc.styles[name]
        style.font.name = FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(script), FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_before = Pt(6)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.1
    _page_numbers(doc)


def _field(paragraph: Paragraph, instruction: str) -> None:
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _page_numbers(doc: DocumentObject) -> None:
    """ND 30: page numbers at the top centre, not on the first page."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE")


def _text(paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False,
          underline: bool = False, size: float | None = None) -> Paragraph:
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if underline:
        run.underline = True
    if size is not None:
        run.font.size = Pt(size)
    return paragraph


def _para(container: DocumentObject | _Cell, text: str = "", *, align: str = "justify", indent: bool = False,
          before: float | None = None, **style: object) -> Paragraph:
    paragraph = container.add_paragraph()
    paragraph.alignment = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                           "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    if before is not None:
        paragraph.paragraph_format.space_before = Pt(before)
    if text:
        _text(paragraph, text, **style)  # type: ignore[arg-type]
    return paragraph


def _rule(container: DocumentObject | _Cell, *, cell_mm: float, length_mm: float) -> Paragraph:
    """A short solid line, centred (ND 30: under the agency's name and under the trích yếu): the
    bottom border of an empty paragraph indented to the line's length."""
    paragraph = _para(container, align="center", before=0)
    paragraph.paragraph_format.line_spacing = Pt(3)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)
    side = Mm(max(0.0, (cell_mm - length_mm) / 2))
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    return paragraph


def _no_borders(table_element: object) -> None:
    tbl_pr = table_element.tblPr  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _layout_table(doc: DocumentObject, widths_mm: Sequence[float]) -> list[_Cell]:
    """A one-row table without borders (the heading; Nơi nhận and the signer), fixed widths."""
    table = doc.add_table(rows=1, cols=len(widths_mm))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table._tbl)
    _widths(table, widths_mm)
    cells = list(table.rows[0].cells)
    for cell in cells:
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return cells


def _widths(table: object, widths_mm: Sequence[float]) -> None:
    """Column widths in the grid (LibreOffice reads these) and in every cell (Word reads those)."""
    for column, width in zip(table.columns, widths_mm, strict=True):  # type: ignore[attr-defined]
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


# -- the parts -------------------------------------------------------------------------------


def _heading(doc: DocumentObject, report: Report) -> None:
    issuer = report.issuer
    left_mm, right_mm = HEADING_MM
    left, right = _layout_table(doc, HEADING_MM)
    if issuer.parent:
        _para(left, short_name(issuer.parent).upper(), align="center", before=0, size=12)
    _para(left, issuer.name.upper(), align="center", before=0, bold=True, size=13)
    _rule(left, cell_mm=left_mm, length_mm=min(left_mm * 0.4, 30))
    _para(left, f"Số:{BLANK_NUMBER}/BC-{abbreviation(issuer.name)}", align="center", before=8, size=13)
    _para(right, QUOC_HIEU, align="center", before=0, bold=True, size=12)
    _para(right, TIEU_NGU, align="center", before=0, bold=True, underline=True, size=13)
    _para(right, dated_line(issuer.place, report.today), align="center", before=14, italic=True, size=14)


def _subject(report: Report) -> str:
    period = period_phrase(report.start, report.end)
    subject = f"Kết quả thực hiện nhiệm vụ {period}" if period else "Tình hình thực hiện nhiệm vụ được giao"
    if len(report.plans) == 1 and report.plans[0].number:  # its date is in the first sentence
        plan = report.plans[0]
        subject += f" theo {document_kind(plan.number)} số {plan.number}"
    return subject


def _title(doc: DocumentObject, report: Report) -> None:
    _para(doc, "BÁO CÁO", align="center", before=18, bold=True, size=14)
    subject = _para(doc, align="center", before=0)
    for n, piece in enumerate(_subject(report).split("-")):
        run = _text(subject, piece, bold=True, size=14).runs[-1]
        if n:  # a document number ("153/KH-UBND") never breaks at its hyphen
            run._r.insert(run._r.index(run._r.find(qn("w:t"))), OxmlElement("w:noBreakHyphen"))
    _rule(doc, cell_mm=TEXT_WIDTH_MM, length_mm=40)
    _para(doc, before=0)


def _numbers(doc: DocumentObject, report: Report) -> None:
    total: StateCounts = report.total
    continuous = report.digest.continuous
    assigned = f"1. Tổng số nhiệm vụ được giao: {total.total} lượt nhiệm vụ"
    if continuous:
        assigned += f" (trong đó {continuous} lượt nhiệm vụ thường xuyên, không có thời hạn)"
    lines = [
        assigned + ".",
        f"2. Đã hoàn thành: {total.done_on_time + total.done_late} lượt, trong đó hoàn thành đúng hạn "
        f"{total.done_on_time}, hoàn thành quá hạn {total.done_late}.",
        f"3. Đang thực hiện: {total.open_on_time + total.open_late} lượt, trong đó trong hạn "
        f"{total.open_on_time}, quá hạn {total.open_late}.",
        f"4. Tỷ lệ quá hạn (hoàn thành quá hạn và đang thực hiện quá hạn): {percent(total.late_rate)}.",
        f"5. Gia hạn: {report.extensions} lượt nhiệm vụ được gia hạn thời hạn thực hiện."
        if report.extensions else "5. Gia hạn: không có nhiệm vụ nào được gia hạn.",
    ]
    for line in lines:
        _para(doc, line, indent=True)


def _overdue(doc: DocumentObject, report: Report) -> None:
    by_unit = report.overdue_by_unit()
    if not by_unit:
        _para(doc, "Không có nhiệm vụ quá hạn.", indent=True)
        return
    for n, (unit, items) in enumerate(by_unit, 1):
        _para(doc, f"{n}. {unit}: {len(items)} lượt nhiệm vụ quá hạn", indent=True, italic=True)
        for item in items[:OVERDUE_SHOWN]:
            late = -item.days_left
            _para(doc, f"- {item.task.title} (hạn {vn_date(item.due)}, quá hạn {late} ngày).", indent=True)
        if len(items) > OVERDUE_SHOWN:
            _para(doc, f"- Và {len(items) - OVERDUE_SHOWN} lượt nhiệm vụ khác (chi tiết tại Phụ lục).", indent=True)


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, align: str = "center", size: int = TABLE_PT) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.space_before = Pt(2)
    paragraph.paragraph_format.first_line_indent = None
    _text(paragraph, text, bold=bold, size=size)


def _repeat_header(row: object) -> None:
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _unit_table(doc: DocumentObject, report: Report) -> None:
    """The counts per unit and the total (the digest's), header repeated on every page."""
    rows = [(str(n), u.name, u.counts, False) for n, u in enumerate(report.units, 1)]
    rows.append(("", "Tổng cộng", report.total, True))
    table = doc.add_table(rows=1 + len(rows), cols=len(UNIT_HEADERS))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _repeat_header(table.rows[0])
    _widths(table, UNIT_WIDTHS_MM)
    for row, values in zip(table.rows, [None, *rows], strict=True):
        cells = row.cells
        if values is None:
            for cell, name in zip(cells, UNIT_HEADERS, strict=True):
                _cell_text(cell, name, bold=True, size=TABLE_PT - 1)
            continue
        number, name, counts, strong = values
        texts = [number, name, str(counts.total), str(counts.done_on_time), str(counts.done_late),
                 str(counts.open_on_time), str(counts.open_late), percent(counts.late_rate)]
        for j, (cell, text) in enumerate(zip(cells, texts, strict=True)):
            _cell_text(cell, text, bold=strong, align="left" if j == 1 else "center")


def _closing(doc: DocumentObject, report: Report) -> None:
    issuer = report.issuer
    period = period_phrase(report.start, report.end)
    _para(doc, f"Trên đây là báo cáo kết quả thực hiện nhiệm vụ {period + ' ' if period else ''}"
               f"của {issuer.name}./.", indent=True)
    left, right = _layout_table(doc, (80.0, TEXT_WIDTH_MM - 80.0))
    _para(left, "Nơi nhận:", align="left", before=12, bold=True, italic=True, size=12)
    recipients = list(issuer.recipients) or ([f"{short_name(issuer.parent)} (để báo cáo)"] if issuer.parent else [DOTS])
    for name in recipients:
        _para(left, f"- {name};", align="left", before=0, size=11)
    _para(left, "- Lưu: VT.", align="left", before=0, size=11)
    _para(right, signer_title(issuer.name), align="center", before=12, bold=True, size=14)
    _para(right, SIGN_HINT, align="center", before=0, italic=True, size=14)
    for _ in range(4):
        _para(right, before=0)


def build_docx(report: Report) -> bytes:
    """The báo cáo as bytes."""
    doc = Document()
    _setup(doc)
    body = doc.element.body
    for paragraph in list(doc.paragraphs):  # the template's empty first paragraph
        body.remove(paragraph._p)
    _heading(doc, report)
    _title(doc, report)
    period = period_phrase(report.start, report.end)
    cited = "; ".join(p.cited for p in report.plans)
    opening = f"Thực hiện {cited}, " if cited else ""
    name = report.issuer.name
    _para(doc, f"{opening}{name if opening else name[:1].upper() + name[1:]} báo cáo kết quả thực hiện nhiệm vụ "
               f"{period or 'được giao'} (số liệu tính đến ngày {vn_date(report.today)}) như sau:", indent=True)
    _para(doc, "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ", indent=True, bold=True)
    _numbers(doc, report)
    _para(doc, "II. NHIỆM VỤ QUÁ HẠN", indent=True, bold=True)
    _overdue(doc, report)
    _para(doc, "III. TỔNG HỢP THEO ĐƠN VỊ", indent=True, bold=True)
    _para(doc, "(Chi tiết từng nhiệm vụ tại Phụ lục kèm theo.)", indent=True, italic=True)
    _unit_table(doc, report)
    _para(doc, "IV. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ", indent=True, bold=True)
    _para(doc, DOTS * 12, indent=True)
    _closing(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


