"""A realistic province of plans, written relative to an injected `today`, imported for real.

Five plans as CSV files (the columns of a real task table): the province's plan naming Sở,
districts and their Phòng by full name (with joint leads, partners and collective names), two Sở
plans that both have a Văn phòng Sở, a Thanh tra Sở and a Phòng Kế hoạch - Tài chính, and the
plans of two districts with their own Phòng Tư pháp / Phòng Nội vụ. Every kind of deadline.
They go through `parse_file` + `save_parsed`, the path `/import` and `nhacviec import` take.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.core.importing.options import ImportOptions
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from storage import Storage

HEADER = ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Kết quả/Sản phẩm"]


@dataclass(frozen=True)
class PlanFile:
    key: str  # short name used by the questions ("U" → "U3" is task 3 of this plan)
    number: str
    issuer: str
    year: int
    rows: tuple[tuple[str, str, str, str], ...]  # title, lead, partners, deadline

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for index, (title, lead, partners, deadline) in enumerate(self.rows, start=1):
            writer.writerow([index, title, lead, partners, deadline, "Báo cáo"])
        return out.getvalue().encode("utf-8")


def plans(today: date) -> list[PlanFile]:
    y = today.year

    def d(days: int) -> str:
        return f"trước ngày {(today + timedelta(days=days)).strftime('%d/%m/%Y')}"

    month = f"Tháng {today.month}/{y}"
    next_month = f"Tháng {today.month % 12 + 1}/{y if today.month < 12 else y + 1}"
    quarter = f"Quý {'I II III IV'.split()[(today.month - 1) // 3]}/{y}"
    province = PlanFile(
        "U",
        "120/KH-UBND",
        "UBND tỉnh",
        y,
        (
            (
                "Xây dựng kế hoạch chuyển đổi số ngành y tế",
                "Sở Y tế",
                "Sở Thông tin và Truyền thông",
                f"Quý IV/{y - 1}",
            ),
            (
                "Rà soát thủ tục hành chính lĩnh vực hộ tịch",
                "Sở Tư pháp",
                "Sở Nội vụ; UBND các huyện",
                f"trước ngày 30/06/{y - 1}",
            ),
            (
                "Triển khai chữ ký số cho cán bộ cấp huyện",
                "Sở Thông tin và Truyền thông",
                "Văn phòng UBND tỉnh",
                f"Quý IV/{y}",
            ),
            ("Đào tạo số hóa hồ sơ công chức", "Sở Nội vụ", "Sở Tư pháp", next_month),
            (
                "Kiện toàn tổ chức bộ máy Phòng Nội vụ cấp huyện",
                "Phòng Nội vụ huyện Bình Sơn",
                "",
                f"Quý IV/{y}",
            ),
            ("Phổ biến giáo dục pháp luật tại cơ sở", "Phòng Tư pháp huyện Tư Nghĩa", "", month),
            ("Tổng hợp báo cáo kết quả cải cách hành chính", "Văn phòng Sở Y tế", "", d(3)),
            ("Kiểm tra công tác tiếp công dân", "Thanh tra Sở Tư pháp", "", d(-30)),
            (
                "Báo cáo tình hình thực hiện các chỉ tiêu kinh tế - xã hội",
                "Các sở, ban, ngành",
                "",
                "Hằng quý",
            ),
            ("Cập nhật dữ liệu dân cư trên hệ thống", "UBND các xã, phường", "Công an tỉnh", f"Tháng 12/{y}"),
            (
                "Tuyên truyền về du lịch cộng đồng",
                "Sở Văn hóa, Thể thao và Du lịch",
                "UBND huyện Bình Sơn",
                f"Quý IV/{y}",
            ),
            ("Thanh tra việc quản lý ngân sách ngành y tế", "Sở Tài chính, Sở Y tế", "", d(-5)),
            (
                "Bảo đảm an ninh trật tự dịp lễ hội",
                "Công an tỉnh",
                "UBND huyện Bình Sơn, UBND huyện Tư Nghĩa",
                "Thường xuyên",
            ),
            (
                "Xây dựng ứng dụng ISO 9001 trong cơ quan hành chính",
                "Sở Khoa học và Công nghệ",
                "",
                f"Tháng 11/{y}",
            ),
            (
                "Đánh giá chỉ số hài lòng của người dân",
                "Sở Nội vụ",
                "Văn phòng HĐND và UBND huyện Bình Sơn",
                f"trước ngày 15/12/{y}",
            ),
        ),
    )
    health = PlanFile(
        "Y",
        "45/KH-SYT",
        "Sở Y tế",
        y,
        (
            ("Tự kiểm tra hồ sơ bệnh án điện tử", "Phòng Nghiệp vụ Y", "", f"Quý IV/{y}"),
            ("Báo cáo công tác văn thư, lưu trữ", "Văn phòng Sở", "", "Hằng quý"),
            ("Thanh tra hành nghề y dược tư nhân", "Thanh tra Sở", "Phòng Nghiệp vụ Y", d(5)),
            ("Lập dự toán ngân sách năm sau", "Phòng Kế hoạch - Tài chính", "", next_month),
            (
                "Cập nhật cơ sở dữ liệu trang thiết bị y tế",
                "Phòng Kế hoạch - Tài chính",
                "Văn phòng Sở",
                d(-10),
            ),
            ("Tập huấn ứng dụng chữ ký số", "Văn phòng Sở, Thanh tra Sở", "", month),
        ),
    )
    justice = PlanFile(
        "P",
        "30/KH-STP",
        "Sở Tư pháp",
        y,
        (
            ("Báo cáo công tác văn thư, lưu trữ", "Văn phòng Sở", "", "Hằng quý"),
            ("Kiểm tra việc thực hiện pháp luật về xử lý vi phạm hành chính", "Thanh tra Sở", "", d(-20)),
            ("Quyết toán kinh phí hỗ trợ pháp lý", "Phòng Kế hoạch - Tài chính", "", f"Quý IV/{y}"),
            ("Triển khai số hóa sổ hộ tịch", "Phòng Hành chính tư pháp", "Văn phòng Sở", next_month),
            (
                "Thẩm định dự thảo văn bản quy phạm pháp luật",
                "Phòng Xây dựng và Kiểm tra văn bản",
                "",
                "Thường xuyên",
            ),
            (
                "Tổ chức Ngày Pháp luật Việt Nam",
                "Phòng Phổ biến, giáo dục pháp luật",
                "Thanh tra Sở",
                f"trước ngày 09/11/{y}",
            ),
        ),
    )
    binh_son = PlanFile(
        "B",
        "15/KH-UBND",
        "UBND huyện Bình Sơn",
        y,
        (
            ("Rà soát quy hoạch cán bộ cấp xã", "Phòng Nội vụ", "", month),
            ("Theo dõi thi hành pháp luật trên địa bàn huyện", "Phòng Tư pháp", "", f"Quý IV/{y}"),
            ("Tổng hợp lịch công tác của lãnh đạo huyện", "Văn phòng HĐND và UBND huyện", "", "Hằng tháng"),
            (
                "Kiểm tra công tác cải cách hành chính tại các xã",
                "Phòng Nội vụ, Văn phòng HĐND và UBND huyện",
                "",
                d(2),
            ),
            (
                "Hỗ trợ xây dựng xã đạt chuẩn tiếp cận pháp luật",
                "UBND xã Bình Hải",
                "Phòng Tư pháp",
                f"Năm {y}",
            ),
        ),
    )
    tu_nghia = PlanFile(
        "N",
        "22/KH-UBND",
        "UBND huyện Tư Nghĩa",
        y,
        (
            ("Hòa giải ở cơ sở năm nay", "Phòng Tư pháp", "", next_month),
            ("Báo cáo công tác dân vận chính quyền", "Phòng Nội vụ", "", quarter),
        ),
    )
    return [province, health, justice, binh_son, tu_nghia]


# Occurrences marked done after the import: (task ref, which occurrence: index in due order).
DONE = (("Y6", 0), ("P2", 0))


async def build(
    url: str,
    today: date,
    *,
    reverse: bool = False,
    files: list[PlanFile] | None = None,
    done: tuple[tuple[str, int], ...] = DONE,
    settings: Settings | None = None,
) -> tuple[AppContext, dict[tuple[str, str], str]]:
    """Import the province (or `files`) into a fresh database; → the context and {(plan number, TT): ref}."""
    storage = await Storage.open(url)
    now = datetime(today.year, today.month, today.day, 3, 0, tzinfo=UTC)
    ctx = AppContext(storage=storage, settings=settings or Settings(), clock=lambda: now)
    files = plans(today) if files is None else files
    refs: dict[tuple[str, str], str] = {}
    for plan in reversed(files) if reverse else files:
        parsed = await parse_file(
            ctx,
            plan.csv_bytes(),
            f"{plan.key}.csv",
            ImportOptions(today=ctx.today(), issuer=plan.issuer, plan=plan.number, year=plan.year),
        )
        assert len(parsed.tasks) == len(plan.rows), (plan.key, parsed.errors)
        await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))
        for index in range(1, len(plan.rows) + 1):
            refs[(plan.number, str(index))] = f"{plan.key}{index}"
    by_ref = {refs[(t.plan, t.number)]: t for t in await storage.all_tasks()}
    for ref, which in done:
        occurrence = sorted(by_ref[ref].occurrences, key=lambda o: o.due)[which]
        await storage.mark_done(occurrence.id, by="test", at=now)
    return ctx, refs
