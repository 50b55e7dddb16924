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
