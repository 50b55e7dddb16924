"""The document model (bot/core/importing/blocks.py) and the layouts read over it (issue 14)."""

from __future__ import annotations

import io
from datetime import date

from bot.core.domain import Kind
from bot.core.importing.blocks import TABLE, body_blocks, flat_text, markdown_blocks
from bot.core.importing.documents import docx_blocks, read_document
from bot.core.importing.guard import FileKind
from bot.core.importing.options import ImportOptions
from bot.core.lang.deadlines import parse_deadline, plan_window

SIGNED = date(2025, 11, 20)


def _read(text: str):
    return read_document(text.encode("utf-8"), "plan.md", ImportOptions(today=SIGNED), kind=FileKind.TEXT)


def test_wrapped_lines_rejoin_and_a_lone_number_joins_its_heading() -> None:
    text = "**1.**\nSở Y tế:\n\n- Phụ\ntrách chung việc kiểm tra\ncác cơ sở.\n- Tổng\nhợp báo cáo.\n"
    blocks = markdown_blocks(text)
    assert [b.text for b in blocks] == [
        "1. Sở Y tế:",
        "- Phụ trách chung việc kiểm tra các cơ sở.",
        "- Tổng hợp báo cáo.",
    ]
    assert [b.source for b in blocks] == ["dòng 1", "dòng 4", "dòng 7"]


def test_bold_heading_cut_by_wrapping_stays_one_unit() -> None:
    plan = _read(
        "**KẾ HOẠCH**\n\n**II. TỔ CHỨC THỰC HIỆN**\n\n**1. Sở\nTài chính**\n\n"
        "- Bố trí kinh phí thực hiện kế hoạch theo quy định.\n"
    )
    assert [(t.lead, t.title) for t in plan.tasks] == [
        ("Sở Tài chính", "Bố trí kinh phí thực hiện kế hoạch theo quy định")
    ]


def test_pipe_tables_and_cell_per_line_tables_are_tables() -> None:
    pipes = "| STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn |\n|---|---|---|---|\n| 1 | Lập danh mục | Sở Xây dựng | Tháng 12/2025 |\n"
    cells = "|\n**STT**\n|\n**Nhiệm vụ**\n|\n**Cơ quan chủ trì**\n|\n**Thời hạn**\n|\n|\n1\n|\nLập\ndanh mục\n|\nSở Xây dựng\n|\nTháng 12/2025\n|\n"
    for text in (pipes, cells):
        tables = [b for b in markdown_blocks(text) if b.kind == TABLE]
        assert len(tables) == 1
        assert tables[0].rows == [
            ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời hạn"],
            ["1", "Lập danh mục", "Sở Xây dựng", "Tháng 12/2025"],
        ]


def test_sub_rows_take_merged_cells_from_the_row_above() -> None:
    text = (
        "|\nSTT\n|\nCơ quan chủ trì\n|\nNội dung nhiệm vụ\n|\nThời hạn hoàn thành\n|\n|\n"
        "A.\n|\nBỘ XÂY DỰNG\n|\n|\n1\n|\nBộ Xây dựng\n|\nBan hành quy chuẩn\n|\nQuý I/2026\n|\n|\n"
        "Rà soát định mức\n|\nNăm 2027\n|\n"
    )
    table = next(b for b in markdown_blocks(text) if b.kind == TABLE)
    assert table.rows[-1] == ["1", "Bộ Xây dựng", "Rà soát định mức", "Năm 2027"]
    plan = _read("**KẾ HOẠCH**\n\n" + text)
    assert [(t.title, t.lead, t.dates) for t in plan.tasks] == [
        ("Ban hành quy chuẩn", "Bộ Xây dựng", (date(2026, 3, 31),)),
        ("Rà soát định mức", "Bộ Xây dựng", (date(2027, 12, 31),)),
    ]


def test_website_wrapper_is_dropped_and_its_metadata_gives_the_facts() -> None:
    text = (
        "Bản dịch này thuộc quyền sở hữu của **\nTHƯ VIỆN PHÁP LUẬT**.\n|\n**Số hiệu:**\n|\n"
        "12/BXD-VP\n|\n**Ngày ban hành:**\n|\n18/11/2025\n|\n|\n"
        "**1. Vụ Kế hoạch - Tài chính**\n- Tổng hợp báo cáo trước ngày 15/12/2025.\n"
        "## Văn bản liên quan\n- Vụ Pháp chế: rà soát văn bản liên quan.\n"
    )
    plan = _read(text)
    assert (plan.number, plan.date) == ("12/BXD-VP", date(2025, 11, 18))
    assert [(t.lead, t.dates) for t in plan.tasks] == [("Vụ Kế hoạch - Tài chính", (date(2025, 12, 15),))]


DECISION = """**ỦY BAN NHÂN DÂN**
TỈNH QUẢNG NGÃI

Số: 12/QĐ-UBND

*Quảng Ngãi, ngày 21 tháng 11 năm 2025*

**QUYẾT ĐỊNH**

**Điều 1.** Ban hành kèm theo Quyết định này Kế hoạch kiểm kê tài sản.

**Điều 2.** Giám đốc Sở Tài chính chịu trách nhiệm thi hành Quyết định này./.

Nơi nhận:
- Như Điều 2;
- Lưu: VT.

**CHỦ TỊCH**

**KẾ HOẠCH**

KIỂM KÊ TÀI SẢN CÔNG GIAI ĐOẠN 2026 - 2030

*(Kèm theo Quyết định số 12/QĐ-UBND ngày 21/11/2025 của Ủy ban nhân dân tỉnh)*

**I. TỔ CHỨC THỰC HIỆN**

**1. Công an tỉnh**

- Bảo đảm an ninh trật tự tại các điểm kiểm kê. Thời gian thực hiện: Từ 01/7/2026.

**2. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh:** Tuyên truyền, vận động nhân dân tham gia kiểm kê.

**3. Ủy ban nhân dân các xã, phường**

- Báo cáo kết quả kiểm kê về Sở Tài chính trước ngày 15 hằng tháng.
"""


def test_decision_issuing_a_plan_reads_past_its_signature() -> None:
    plan = _read(DECISION)
    assert (plan.number, plan.date, plan.year, plan.period) == (
        "12/QĐ-UBND",
        date(2025, 11, 21),
        2025,
        (2026, 2030),
    )
    got = [(t.lead, t.kind, len(t.dates)) for t in plan.tasks]
    assert got == [
        ("Công an tỉnh", Kind.CONTINUOUS, 0),  # "Từ 01/7/2026" is when it starts, not a due date
        ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", Kind.UNSPECIFIED, 0),
        ("Ủy ban nhân dân các xã, phường", Kind.RECURRING, 60),  # the 15th of every month 2026-2030
    ]
    assert plan.tasks[2].dates[0] == date(2026, 1, 15)
    assert all(t.source.startswith("dòng ") for t in plan.tasks)
    assert "Nơi nhận" not in " ".join(b.text for b in body_blocks(markdown_blocks(DECISION)))


def test_field_group_with_prose_lead_and_listed_contents() -> None:
    text = (
        "**KẾ HOẠCH**\n\n**1. Truyền thông**\n\na) Hoạt động 1\n\n- Nội dung:\n\n"
        "+ Tổ chức hội nghị tập huấn cho cán bộ cơ sở.\n\n+ Biên soạn tài liệu hướng dẫn cho người dân.\n\n"
        "- Cơ quan thực hiện: Sở Y tế chủ trì, phối hợp với Sở Tài chính và các đơn vị có liên quan.\n\n"
        "- Thời gian hoàn thành: Quý I/2026.\n"
    )
    plan = _read(text)
    assert [(t.title, t.lead, t.partners, t.dates) for t in plan.tasks] == [
        (
            "Tổ chức hội nghị tập huấn cho cán bộ cơ sở",
            "Sở Y tế",
            "Sở Tài chính, các đơn vị có liên quan",
            (date(2026, 3, 31),),
        ),
        (
            "Biên soạn tài liệu hướng dẫn cho người dân",
            "Sở Y tế",
            "Sở Tài chính, các đơn vị có liên quan",
            (date(2026, 3, 31),),
        ),
    ]


def test_role_subheadings_and_items_outside_units() -> None:
    text = (
        "**KẾ HOẠCH**\n\n**III. NỘI DUNG**\n\n1. Hoàn thiện thể chế về xuất khẩu.\n\n"
        "**IV. TỔ CHỨC THỰC HIỆN**\n\n**1. Sở Công Thương**\n\n"
        "a) Chủ trì, phối hợp với các sở, ngành và UBND các xã\n\n"
        "- Tổ chức chương trình tập huấn kiến thức hội nhập.\n\n- Kết nối giao thương trong và ngoài nước.\n"
    )
    plan = _read(text)
    assert [(t.lead, t.title) for t in plan.tasks] == [
        ("Sở Công Thương", "Tổ chức chương trình tập huấn kiến thức hội nhập"),
        ("Sở Công Thương", "Kết nối giao thương trong và ngoài nước"),
    ]


def test_word_automatic_numbering_is_rebuilt() -> None:
    import docx

    from tests.conftest import EXAMPLES

    path = EXAMPLES / "plans-real" / "kh-153-2025-ubnd-can-tho-phong-chong-ma-tuy.docx"
    texts = [b.text for b in docx_blocks(path.read_bytes()) if b.kind != TABLE]
    assert any(t.startswith("a) ") for t in texts) and any(t.startswith("b) ") for t in texts)
    # a document without numbering definitions reads too
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    out = io.BytesIO()
    document.save(out)
    assert flat_text(docx_blocks(out.getvalue())) == "KẾ HOẠCH"


def test_deadlines_in_context() -> None:
    window = plan_window(date(2025, 11, 20), 2025, (2026, 2030))
    assert window == (date(2026, 1, 1), date(2030, 12, 31))
    assert plan_window(date(2022, 7, 29), 2022) == (date(2022, 7, 29), date(2022, 12, 31))
    assert parse_deadline("Từ 01/7/2025", today=SIGNED).dates == ()
    assert parse_deadline("Từ tháng 11/2025 đến khi kết thúc kiểm kê", today=SIGNED).dates == ()
    assert parse_deadline("Từ ngày 01/01/2026 đến ngày 31/3/2026", today=SIGNED).dates == (date(2026, 3, 31),)
    monthly = parse_deadline("trước ngày 15 hằng tháng", today=SIGNED, year=2025, window=window)
    assert monthly.kind == Kind.RECURRING and len(monthly.dates) == 60
    report = parse_deadline(
        "Định kỳ hàng tháng (trước ngày 16 hàng tháng), 6 tháng (trước ngày 16/6), tổng kết năm (trước ngày 20/11 hàng năm)",
        today=SIGNED,
        year=2025,
        window=window,
    )
    assert (
        len(report.dates) == 65 and date(2027, 6, 16) in report.dates and date(2027, 11, 20) in report.dates
    )
    yearly = parse_deadline("Hằng năm", today=SIGNED, year=2025, window=plan_window(SIGNED, 2025))
    assert yearly.dates == (date(2025, 12, 31),)


def test_field_labels_are_exact_vocabulary_with_scanner_damage_only() -> None:
    from bot.core.importing.extraction import Item, field_of, lead_and_partners

    def field(text: str):
        return field_of(Item(9, [("dòng 1", text)]))

    assert field("Nội dung thực hiện: Tập huấn") == ("title", "Tập huấn")
    assert field("Kết quả thực hiện: Báo cáo") == ("output", "Báo cáo")
    assert field("Đơn vị chủ trì tham mưu thực hiện: Sở Y tế") == ("lead", "Sở Y tế")
    assert field("Pon vi chii tri thyc hién: Phong X") == ("lead", "Phong X")  # a scan
    assert field("Các bước giám sát: lập danh sách") is None
    assert lead_and_partners("Sở Nội vụ chủ trì, phối hợp với các sở, ngành") == (
        "Sở Nội vụ",
        "các sở, ngành",
    )
    assert lead_and_partners("Sở KH&CN tiến hành rà soát các quy trình nội bộ")[0] == "Sở KH&CN"


def test_pipe_rows_broken_across_lines_are_put_back_together() -> None:
    from bot.core.importing.blocks import pipe_rows

    region = [
        "| TT | Tên văn bản | Cơ quan trình | Cơ quan soạn thảo | Cơ quan thẩm tra | Tiến độ | Hồ sơ |",
        "| I. Văn bản thuộc thẩm quyền của Quốc hội |",
        "| | Luật sửa đổi Luật Tổ chức Quốc hội | Ủy ban Thường vụ Quốc hội | Ban soạn thảo",
        "| - Ủy ban Pháp luật chủ trì thẩm tra",
        "| Trình tháng 02/2025 | Tờ trình |",
        "| Nghị quyết về Ban Dân nguyện | Ban Dân nguyện | Ban Dân nguyện | Trình trước ngày 10/01/2025 | Tờ trình |",
    ]
    rows = pipe_rows(region)
    assert rows[2] == [
        "",
        "Luật sửa đổi Luật Tổ chức Quốc hội",
        "Ủy ban Thường vụ Quốc hội",
        "Ban soạn thảo",
        "- Ủy ban Pháp luật chủ trì thẩm tra",
        "Trình tháng 02/2025",
        "Tờ trình",
    ]
    # a row missing a merged middle cell keeps its ends in place
    assert rows[3] == [
        "",
        "Nghị quyết về Ban Dân nguyện",
        "Ban Dân nguyện",
        "Ban Dân nguyện",
        "",
        "Trình trước ngày 10/01/2025",
        "Tờ trình",
    ]
    plan = _read("**KẾ HOẠCH**\n\n" + "\n".join(region) + "\n")
    assert [(t.lead, t.dates) for t in plan.tasks] == [  # the drafting body does the work
        ("Ban soạn thảo", (date(2025, 2, 28),)),
        ("Ban Dân nguyện", (date(2025, 1, 10),)),
    ]


def test_numbered_events_and_listed_milestones_in_deadlines() -> None:
    text = (
        "- Trình UBTVQH tại Phiên họp thứ 44 (tháng 4/2025); - Trình Quốc hội tại Kỳ họp thứ 9 (tháng 5/2025)"
    )
    assert parse_deadline(text, today=SIGNED, year=2024).dates == (date(2025, 4, 30), date(2025, 5, 31))
