"""tests/data/tables/qd-phu-luc-bang-gop.docx: a decision with its appendix task table after the
signature (two-row header, merged cells, a continuation row, ranges in "Thời gian"); the .pdf is
`soffice --headless --convert-to pdf` of it."""

import docx

doc = docx.Document()
for t in [
    "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
    "Số: 20/QĐ-UBND",
    "Quảng Ngãi, ngày 5 tháng 3 năm 2025",
    "QUYẾT ĐỊNH",
    "Ban hành Kế hoạch chuyển đổi số năm 2025",
    "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch chuyển đổi số năm 2025.",
    "Điều 2. Quyết định này có hiệu lực từ ngày ký.",
    "CHỦ TỊCH",
    "Nguyễn Văn A",
    "PHỤ LỤC",
    "NHIỆM VỤ CỤ THỂ",
    "(Kèm theo Quyết định số 20/QĐ-UBND ngày 05/3/2025 của UBND tỉnh)",
]:
    doc.add_paragraph(t)
t = doc.add_table(rows=2, cols=6)
t.style = "Table Grid"
h1 = ["TT", "Nội dung nhiệm vụ", "Phân công", "", "Thời gian", "Ghi chú"]
h2 = ["", "", "Cơ quan chủ trì", "Cơ quan phối hợp", "", ""]
for i, v in enumerate(h1):
    t.rows[0].cells[i].text = v
for i, v in enumerate(h2):
    t.rows[1].cells[i].text = v
t.cell(0, 2).merge(t.cell(0, 3))
t.cell(0, 2).text = "Phân công"
for c in (0, 1, 4, 5):
    t.cell(0, c).merge(t.cell(1, c))
rows = [
    [
        "1",
        "Xây dựng cơ sở dữ liệu đất đai",
        "Sở Nông nghiệp và Môi trường",
        "Sở Tài chính, UBND các xã, phường",
        "2025 - 2026",
        "",
    ],
    [
        "2",
        "Triển khai nền tảng số dùng chung",
        "Sở Khoa học và Công nghệ",
        "Các sở, ban, ngành",
        "Quý III/2025",
        "",
    ],
    ["", "và hướng dẫn các xã sử dụng", "", "", "", ""],
    ["3", "Đào tạo kỹ năng số cho cán bộ", "Sở Nội vụ", "Sở Khoa học và Công nghệ", "Tháng 6 - 9/2025", ""],
    ["4", "Báo cáo kết quả thực hiện", "Sở Khoa học và Công nghệ", "", "Trước ngày 15/12/2025", ""],
]
start = len(t.rows)
for r in rows:
    cells = t.add_row().cells
    for i, v in enumerate(r):
        cells[i].text = v
# lead merged over tasks 4 and 5 (vertical merge)
extra = t.add_row().cells
for i, v in enumerate(["5", "Tổng kết đánh giá kế hoạch", "", "", "31/12/2025", ""]):
    extra[i].text = v
a = t.cell(start + 4, 2)
b = t.cell(start + 5, 2)
a.merge(b)
a.text = "Sở Khoa học và Công nghệ"
doc.save("tests/data/tables/qd-phu-luc-bang-gop.docx")
