"""tests/data/tables/ke-hoach-kho-doc.xlsx: a task table with what issue 26 says was dropped."""
import openpyxl
from openpyxl.styles import Font

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Kế hoạch"
ws.append(["KẾ HOẠCH CÔNG TÁC NĂM 2022"])
ws.append(["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"])
ws.append([1, "Rà soát thủ tục hành chính", "Sở Tư pháp", "Văn phòng UBND tỉnh", 44742])  # 30/06/2022 as a serial in a General cell
ws.append([2, '="Báo cáo "&"kết quả cải cách hành chính"', "Sở Nội vụ", "", "Quý IV/2022"])  # a formula, no cached value
for r in range(5, 5 + 6000):
    ws.cell(row=r, column=2).font = Font(bold=True)  # formatted, blank rows
ws.append([3, "Tổng kết công tác năm", "Sở Tư pháp", "", "31/12/2022"])
wb.save("tests/data/tables/ke-hoach-kho-doc.xlsx")

# tests/data/tables/ke-hoach-bang-long.docx: a task table nested in a layout table, a tracked
# insertion in a cell (the inserted words are part of the accepted text).
import copy  # noqa: E402

import docx  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402

doc = docx.Document()
doc.add_paragraph("SỞ TƯ PHÁP")
doc.add_paragraph("Số: 15/KH-STP")
doc.add_paragraph("Quảng Ngãi, ngày 10 tháng 1 năm 2022")
doc.add_paragraph("KẾ HOẠCH")
doc.add_paragraph("Công tác pháp chế năm 2022")
layout = doc.add_table(rows=1, cols=1)
outer = layout.cell(0, 0)
outer.paragraphs[0].text = "Phụ lục: nhiệm vụ"
inner = outer.add_table(rows=1, cols=4)
for cell, text in zip(inner.rows[0].cells, ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành"], strict=True):
    cell.text = text
tasks = [
    ("1", "Rà soát văn bản quy phạm pháp luật", "Phòng Xây dựng và Kiểm tra văn bản", "Quý II/2022"),
    ("2", "Kiểm tra công tác pháp chế tại các sở", "Thanh tra Sở", "Quý III/2022"),
    ("3", "Tập huấn nghiệp vụ pháp chế", "Văn phòng Sở", "Tháng 9/2022"),
    ("4", "Tổng kết công tác pháp chế", "Phòng Hành chính tư pháp", "31/12/2022"),
]
for row in tasks:
    cells = inner.add_row().cells
    for cell, text in zip(cells, row, strict=True):
        cell.text = text
# row 3's title: "Tập huấn" + a tracked insertion " nghiệp vụ pháp chế"
paragraph = inner.rows[3].cells[1].paragraphs[0]
paragraph.runs[0].text = "Tập huấn"
run = copy.deepcopy(paragraph.runs[0]._r)
run.find(qn("w:t")).text = " nghiệp vụ pháp chế"
run.find(qn("w:t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
ins = paragraph._p.makeelement(qn("w:ins"), {qn("w:id"): "1", qn("w:author"): "A", qn("w:date"): "2022-01-10T00:00:00Z"})
ins.append(run)
paragraph._p.append(ins)
doc.save("tests/data/tables/ke-hoach-bang-long.docx")
