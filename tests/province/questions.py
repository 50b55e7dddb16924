"""Questions over the province of `build.py`, each with its exact expected task list.

Refs name tasks by plan and row: U = the province's plan, Y = Sở Y tế, P = Sở Tư pháp,
B = UBND huyện Bình Sơn, N = UBND huyện Tư Nghĩa. "today" is `TODAY` (a Wednesday in October).
An expected list of None means "no such agency": the answer must say it was not found.
"Quá hạn" lists what the agency leads and, under "Phối hợp", what it coordinates; the words of
lateness ("trễ", "chậm", "tồn đọng"…) ask only what it leads, unless partners are asked for.
Askers are full names as the directory shows them; None is an account with no agency.
"""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 10, 14)

NOT_FOUND = None
GREETING = "greeting"

SNV, SYT, STP = "Sở Nội vụ", "Sở Y tế", "Sở Tư pháp"
BS, TN = "UBND huyện Bình Sơn", "UBND huyện Tư Nghĩa"

# (category, asker, question, expected refs)
TUNED: list[tuple[str, str | None, str, list[str] | str | None]] = [
    ("periods", SNV, "việc của Sở Y tế tháng này", ["U12", "U7", "Y3", "Y5"]),
    ("periods", SNV, "Sở Tư pháp quý này", ["P1", "P3", "P4", "P6", "U4"]),
    ("periods", "Văn phòng Sở (Sở Y tế)", "việc của tôi tuần này", ["U7"]),
    ("periods", SYT, "Sở Nội vụ tháng sau", ["U4"]),
    ("periods", SNV, "UBND huyện Bình Sơn tháng 12", ["U5", "B2", "B3", "U15", "U11", "B5"]),
    ("periods", SNV, "Sở Khoa học và Công nghệ năm nay", ["U14"]),
    ("periods", SNV, "Sở Thông tin và Truyền thông quý 4", ["U3"]),
    ("periods", SYT, "việc của Thanh tra Sở hôm nay", []),
    ("periods", SYT, "Phòng Kế hoạch - Tài chính tháng 11", ["Y4"]),
    ("periods", SYT, "các việc từ 1/10 đến 20/10", ["U12", "U7", "Y3", "Y5"]),
    ("statuses", SNV, "Sở Tư pháp có việc gì quá hạn?", ["U2", "U8", "P1"]),
    ("statuses", SNV, "Sở Y tế sắp đến hạn", ["U7", "Y3"]),
    ("statuses", SYT, "Văn phòng Sở đã xong", ["Y6"]),
    ("statuses", SNV, "việc quá hạn của UBND huyện Bình Sơn", ["B3"]),
    ("statuses", SNV, "Sở Tư pháp đã hoàn thành những việc gì", ["P2"]),
    ("statuses", None, "các việc quá hạn", ["U1", "U2", "U8", "U9", "U12", "Y2", "Y5", "P1", "B3"]),
    ("statuses", SYT, "Sở Nội vụ có việc gì quá hạn", ["U2"]),
    ("statuses", SNV, "tất cả việc của Sở Khoa học và Công nghệ", ["U14"]),
    ("abbreviations and typos", SNV, "STP quá hạn", ["U2", "U8", "P1"]),
    ("abbreviations and typos", SNV, "SYT tháng này", ["U12", "U7", "Y3", "Y5"]),
    ("abbreviations and typos", SNV, "so tu phap qua han", ["U2", "U8", "P1"]),
    ("abbreviations and typos", SNV, "sở tư phaps có việc gì quas hanj", ["U2", "U8", "P1"]),
    ("abbreviations and typos", SYT, "sở nội vuj tháng sau", ["U4"]),
    ("abbreviations and typos", SNV, "So Y te sap den han", ["U7", "Y3"]),
    ("abbreviations and typos", SNV, "Sở Khoa hoc va cong nghe", ["U14"]),
    ("abbreviations and typos", SNV, "Sở Tư phá quá hạn", ["U2", "U8", "P1"]),
    ("abbreviations and typos", SNV, "SKHCN", ["U14"]),
    ("abbreviations and typos", SNV, "Sở TT&TT quý này", ["U3"]),
    ("abbreviations and typos", SNV, "SVHTTDL quý 4", ["U11"]),
    ("abbreviations and typos", SNV, "sở y tế có việc j quá hạn k", ["U1", "U12", "Y2", "Y5"]),
    ("abbreviations and typos", SNV, "stp co viec j qua han ko", ["U2", "U8", "P1"]),
    ("relative names", STP, "Văn phòng Sở có việc gì quá hạn", ["P1"]),
    ("relative names", SYT, "Văn phòng Sở có việc gì quá hạn", ["Y2", "Y5"]),
    ("relative names", STP, "Thanh tra Sở quá hạn", ["U8"]),
    ("relative names", SYT, "Thanh tra Sở quá hạn", []),
    ("relative names", STP, "Phòng Kế hoạch - Tài chính quý này", ["P3"]),
    ("relative names", SYT, "Phòng Kế hoạch - Tài chính quý này", ["Y4", "Y5"]),
    ("relative names", None, "việc của Văn phòng Sở", NOT_FOUND),
    ("relative names", TN, "Phòng Tư pháp quý này", ["U6", "N1"]),
    ("relative names", BS, "Phòng Tư pháp quý này", ["B2", "B5"]),
    ("relative names", "Văn phòng Sở (Sở Tư pháp)", "Thanh tra Sở có việc gì", ["U8", "P6"]),
    ("same-named units", SNV, "Văn phòng Sở Y tế có việc gì", ["U7", "Y2", "Y5"]),
    ("same-named units", SNV, "Văn phòng Sở Tư pháp", ["P1", "P4"]),
    ("same-named units", SNV, "Thanh tra Sở Y tế sắp đến hạn", ["Y3"]),
    ("same-named units", SNV, "thanh tra sở tư pháp quá hạn", ["U8"]),
    ("same-named units", SNV, "phòng tư pháp huyện Tư Nghĩa tháng này", ["U6"]),
    ("same-named units", SNV, "Phòng Tư pháp huyện Bình Sơn quý này", ["B2", "B5"]),
    ("same-named units", SNV, "Phòng Nội vụ huyện Tư Nghĩa", ["N2"]),
    ("same-named units", SNV, "Phòng Nội vụ huyện Bình Sơn tháng này", ["B1", "B4"]),
    ("hierarchy", SNV, "việc của Sở Y tế quý 4", ["U12", "U7", "Y1", "Y2", "Y3", "Y4", "Y5"]),
    ("hierarchy", SNV, "UBND huyện Tư Nghĩa quý này", ["U6", "N1", "N2"]),
    ("hierarchy", BS, "việc của tôi quá hạn", ["B3"]),
    ("hierarchy", "Phòng Nội vụ (UBND huyện Bình Sơn)", "việc của tôi quý này", ["B1", "B4", "U5"]),
    ("hierarchy", "Phòng Nội vụ (UBND huyện Bình Sơn)", "UBND huyện có việc gì quá hạn", ["B3"]),
    ("unknown names", SNV, "UBND huyện quá hạn", NOT_FOUND),
    ("hierarchy", SNV, "Sở Tư pháp tất cả", ["U2", "U8", "P1", "P2", "P3", "P4", "P5", "P6", "U4"]),
    ("joint leads", SNV, "Sở Tài chính có việc gì", ["U12"]),
    ("joint leads", SNV, "Sở Tài chính quá hạn", ["U12"]),
    ("joint leads", BS, "Phòng Nội vụ sắp đến hạn", ["B4"]),
    ("joint leads", BS, "Văn phòng HĐND và UBND huyện sắp đến hạn", ["B4"]),
    ("joint leads", SYT, "Thanh tra Sở tháng này", ["Y3"]),
    ("unknown names", SNV, "Sở Ngoại vụ có việc gì", NOT_FOUND),
    ("unknown names", SNV, "xã Bình Thạnh quá hạn", NOT_FOUND),
    ("unknown names", SNV, "UBND huyện Sơn Hà", NOT_FOUND),
    ("unknown names", SNV, "Sở Giáo dục và Đào tạo tháng này", NOT_FOUND),
    ("unknown names", SNV, "Phòng Tư pháp huyện Mộ Đức", NOT_FOUND),
    ("topics", SNV, "ai chủ trì chữ ký số?", ["U3", "Y6"]),
    ("topics", SNV, "các việc về ISO 9001", ["U14"]),
    ("topics", SNV, "việc liên quan đến hộ tịch", ["U2", "P4"]),
    ("topics", SNV, "tìm việc về pháp luật", ["U6", "P2", "P5", "P6", "B2", "B5"]),
    ("topics", SNV, "ai chủ trì số hóa sổ hộ tịch", ["P4"]),
    ("partners", SYT, "Sở Nội vụ có việc gì", ["U4", "U15", "U2"]),
    ("partners", SNV, "Công an tỉnh tháng 12", ["U10"]),
    ("partners", SNV, "Văn phòng UBND tỉnh quý này", ["U3"]),
    ("partners", SNV, "Sở Thông tin và Truyền thông có việc gì quá hạn", ["U1"]),
    ("partners", SYT, "Sở Nội vụ có gì phối hợp không", ["U2"]),
    ("partners", SNV, "Sở Tư pháp phối hợp", ["U4"]),
    ("partners", SNV, "UBND huyện Bình Sơn phối hợp những việc gì", ["U15", "U11", "B5", "U13"]),
    ("partners", SNV, "việc Sở Y tế chủ trì quá hạn", ["U1", "U12", "Y2", "Y5"]),
    ("small talk", SNV, "xin chào", GREETING),
    ("small talk", SNV, "cảm ơn bạn nhé", GREETING),
]

# Written with the others, never run while tuning the parser and the directory.
HELD_BACK: list[tuple[str, str | None, str, list[str] | str | None]] = [
    ("periods", SNV, "việc của sở y tế trong tháng này nhé", ["U12", "U7", "Y3", "Y5"]),
    ("statuses", SNV, "stp có gì trễ hạn không", ["U2", "U8", "P1"]),
    ("statuses", SNV, "Thanh tra Sở Tư pháp đã xong", ["P2"]),
    ("relative names", SYT, "vp sở quá hạn", ["Y2", "Y5"]),
    ("relative names", SYT, "phong ke hoach tai chinh thang sau", ["Y4"]),
    ("same-named units", SNV, "Phòng Tư pháp huyện Tư Nghĩa có việc gì", ["U6", "N1"]),
    ("hierarchy", SNV, "UBND huyện Bình Sơn sắp đến hạn", ["B4"]),
    ("joint leads", SNV, "sở tài chính tháng này", ["U12"]),
    ("unknown names", SNV, "Sở Ngoai vu qua han", NOT_FOUND),
    ("topics", SNV, "các việc về du lịch cộng đồng", ["U11"]),
    ("topics", SNV, "ai phụ trách đánh giá chỉ số hài lòng", ["U15"]),
    ("partners", SYT, "Sở Nội vụ quý 4", ["U4", "U15"]),
    ("hierarchy", "Thanh tra Sở (Sở Y tế)", "việc của tôi", ["Y3"]),
    ("abbreviations and typos", SNV, "Sở KH&CN tháng 11", ["U14"]),
    ("statuses", SNV, "UBND huyện Tư Nghĩa có việc gì sắp đến hạn ko", []),
]
