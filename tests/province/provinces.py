"""A second database: two provinces loaded at once, and a plan naming a qualified agency.

Quảng Trị ("UBND tỉnh Quảng Trị", plans Q and K) and Cần Thơ ("UBND thành phố Cần Thơ", plan C)
both name "Sở Nội vụ", "Sở Tài chính", "Sở Y tế" and a district with its own "Phòng Nội vụ";
plan K (Quảng Trị's steering committee) files six tasks under "Sở Tài chính - Cơ quan thường
trực Ban Chỉ đạo", which are Sở Tài chính's. Due dates are written relative to `today`, as the
first province's are, and imported through the real import path (`build.build`).
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.province.build import PlanFile

SBCD = "Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo"


def plans(today: date) -> list[PlanFile]:
    y = today.year

    def d(days: int) -> str:
        return f"trước ngày {(today + timedelta(days=days)).strftime('%d/%m/%Y')}"

    quang_tri = PlanFile(
        "Q",
        "88/KH-UBND",
        "UBND tỉnh Quảng Trị",
        y,
        (
            ("Rà soát chức năng, nhiệm vụ các phòng chuyên môn", "Sở Nội vụ", "", d(2)),
            ("Tổng kết công tác thi đua, khen thưởng", "Sở Nội vụ", "", d(45)),
            ("Báo cáo tình hình giải ngân vốn đầu tư công", "Sở Tài chính", "", d(-3)),
            ("Xây dựng dự toán ngân sách tỉnh năm sau", "Sở Tài chính", "", d(9)),
            ("Kiểm tra việc chấp hành pháp luật về thuế", "Sở Tài chính", "Sở Tư pháp", d(0)),
            ("Cấp phiếu lý lịch tư pháp trực tuyến", "Sở Tư pháp", "", d(20)),
            ("Triển khai bệnh án điện tử tại bệnh viện tuyến tỉnh", "Sở Y tế", "Sở Nội vụ", d(-12)),
            ("Sắp xếp đơn vị hành chính cấp xã", "UBND huyện Gio Linh", "Sở Nội vụ", d(30)),
            ("Kiểm tra công tác văn thư, lưu trữ tại các xã", "Phòng Nội vụ huyện Gio Linh", "", d(6)),
            ("Phòng, chống ma túy trong trường học", "Công an tỉnh", "Sở Y tế", "Thường xuyên"),
            ("Báo cáo kết quả cải cách hành chính", "Sở Nội vụ", "", "Hằng quý"),
            ("Số hóa hồ sơ địa chính", "Sở Nông nghiệp và Môi trường", "", d(-40)),
        ),
    )
    steering = PlanFile(
        "K",
        "15/KH-BCĐ",
        "UBND tỉnh Quảng Trị",
        y,
        (
            ("Tổng hợp báo cáo sơ kết 9 tháng của Ban Chỉ đạo", SBCD, "", d(-7)),
            ("Xây dựng quy chế hoạt động của Ban Chỉ đạo", SBCD, "", d(4)),
            ("Tổ chức hội nghị tổng kết Ban Chỉ đạo", SBCD, "", f"Tháng 12/{y}"),
            ("Kiểm tra tiến độ giải ngân các dự án trọng điểm", SBCD, "Sở Xây dựng", d(13)),
            ("Theo dõi công tác thực hành tiết kiệm, chống lãng phí", "Sở Nội vụ", SBCD, d(25)),
            ("Công khai tài chính ngân sách trên cổng thông tin", SBCD, "", d(-2)),
            ("Thẩm định phương án tự chủ tài chính của đơn vị sự nghiệp", SBCD, "", d(35)),
        ),
    )
    can_tho = PlanFile(
        "C",
        "153/KH-UBND",
        "UBND thành phố Cần Thơ",
        y,
        (
            ("Rà soát vị trí việc làm trong cơ quan hành chính", "Sở Nội vụ", "", d(1)),
            ("Đào tạo, bồi dưỡng cán bộ, công chức", "Sở Nội vụ", "", d(-8)),
            ("Báo cáo quyết toán ngân sách thành phố", "Sở Tài chính", "", d(7)),
            ("Kiểm tra chất lượng công trình xây dựng", "Sở Xây dựng", "", d(16)),
            ("Chỉnh trang đô thị khu vực trung tâm", "UBND huyện Phong Điền", "Sở Xây dựng", f"Quý IV/{y}"),
            ("Giải quyết hồ sơ đất đai còn tồn đọng", "Phòng Nội vụ huyện Phong Điền", "", d(-25)),
            ("Phòng, chống dịch sốt xuất huyết", "Sở Y tế", "", d(11)),
            ("Tổng kết phong trào thi đua yêu nước", "Sở Nội vụ", "Sở Tài chính", f"Tháng 12/{y}"),
        ),
    )
    return [quang_tri, steering, can_tho]


# Occurrences marked done after the import: (task ref, which occurrence in due order).
DONE = (("Q11", 0), ("Q11", 1), ("Q11", 2), ("Q12", 0))
