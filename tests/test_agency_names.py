"""Only agencies become agencies (issue 26 item 2), partners inside the sentence (item 1), a
heading is the plan's title, not its issuer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.importing.documents import plan_from_text
from bot.core.importing.extraction import partners_in
from bot.core.importing.leads import is_agency_name, split_agencies
from bot.core.importing.options import ImportOptions
from bot.core.importing.reader import read_plan
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from storage import Storage
from tests.gold_scoring import DATA

PLAN = (
    "# Kế hoạch kiểm tra an toàn công trình năm 2022\n\n"
    "1. Sở Xây dựng chủ trì kiểm tra công trình, hoàn thành trước ngày 15/10/2022.\n"
    "2. Sở Giáo dục và Đào tạo chủ trì, phối hợp với Sở Nông nghiệp và Môi trường, UBND các phường "
    "tổ chức tập huấn cho giáo viên trước ngày 30/11/2022.\n"
    "3. Sở Tài chính, Sở Nội vụ; Sở Lao động - Thương binh và Xã hội rà soát chế độ chính sách "
    "trước ngày 31/12/2022.\n"
)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("đối tượng", False),
        ("Trưởng Ban Chỉ đạo", False),
        ("Ủy ban Mặt trận Tổ quốc Việt Nam thành phố và các", False),
        ("Phường Trúc Lâm", False),
        ("Sở", False),
        ("Kế hoạch kiểm tra an toàn công trình năm 2022", False),
        ("Đài Truyền hình Việt Nam", True),
        ("Thông tấn xã Việt Nam", True),
        ("UBND xã Tịnh Ấn", True),
        ("Sở Lao động - Thương binh và Xã hội", True),
        ("các sở, ban, ngành", True),
        ("UBND các xã, phường", True),
        ("Văn phòng Sở", True),
        ("Tỉnh đoàn", True),
    ],
)
def test_one_validity_rule_for_every_name(name: str, valid: bool) -> None:
    assert is_agency_name(name) is valid
    assert is_agency_name(name, known=True)  # a name the directory has is always one


def test_lead_lists_and_compound_names() -> None:
    assert split_agencies("- Đài Truyền hình Việt Nam; - Đài Tiếng nói Việt Nam; - Thông tấn xã Việt Nam.") == [
        "Đài Truyền hình Việt Nam",
        "Đài Tiếng nói Việt Nam",
        "Thông tấn xã Việt Nam",
    ]
    assert split_agencies("Sở Tài chính, Sở Nội vụ; Sở Lao động - Thương binh và Xã hội") == [
        "Sở Tài chính",
        "Sở Nội vụ",
        "Sở Lao động - Thương binh và Xã hội",
    ]


def test_a_lead_list_runs_across_collectives_and_heads_up_to_the_verb() -> None:
    """kh-153: "Đề nghị A và các tổ chức thành viên, Thủ trưởng sở, ban, ngành … và Chủ tịch
    UBND xã, phường tổ chức quán triệt …": the whole list leads (not "A và các"), each head's
    title names the body they head."""
    path = DATA / "plans-real" / "kh-153-2025-ubnd-can-tho-phong-chong-ma-tuy.md"
    plan = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2025, 6, 1)))
    task = next(t for t in plan.tasks if "quán triệt sâu rộng" in t.title)
    assert task.lead == (
        "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố và các tổ chức thành viên, Thủ trưởng sở, ban, "
        "ngành thành phố và Chủ tịch Ủy ban nhân dân xã, phường"
    )
    assert task.title.startswith("Tổ chức quán triệt")
    names = split_agencies(task.lead)
    assert names == [
        "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố",
        "các tổ chức thành viên",
        "sở, ban, ngành thành phố",
        "Ủy ban nhân dân xã, phường",
    ]
    assert all(is_agency_name(name) for name in names)
    assert split_agencies("Trưởng Ban Chỉ đạo") == ["Trưởng Ban Chỉ đạo"]  # a person, still refused
    assert split_agencies("Thủ trưởng các cơ quan, đơn vị") == ["các cơ quan, đơn vị"]


def test_partners_inside_the_sentence() -> None:
    assert partners_in(
        "chủ trì, phối hợp với Sở Nông nghiệp và Môi trường, UBND các phường tổ chức tập huấn"
    ) == "Sở Nông nghiệp và Môi trường, UBND các phường"
    assert partners_in("Phối hợp với UBND các xã, phường và các đơn vị liên quan triển khai") == (
        "UBND các xã, phường, các đơn vị liên quan"
    )
    # a force of an agency is that agency; "các lực lượng" stays a collective
    assert partners_in("phối hợp chặt chẽ lực lượng Công an thành phố thực hiện") == "Công an thành phố"
    assert partners_in("Phối hợp chặt chẽ các lực lượng, sử dụng đồng bộ") == "các lực lượng"


def test_heading_is_the_title_and_a_kind_word_not_the_lead() -> None:
    plan = plan_from_text(PLAN, ImportOptions(today=date(2022, 1, 5)))
    assert plan.issuer is None and plan.date is None
    assert plan.title == "Kế hoạch kiểm tra an toàn công trình năm 2022"
    first, second, third = plan.tasks
    assert (first.lead, first.title) == ("Sở Xây dựng", "Chủ trì kiểm tra công trình")
    assert second.partners == "Sở Nông nghiệp và Môi trường, UBND các phường"
    assert split_agencies(third.lead) == ["Sở Tài chính", "Sở Nội vụ", "Sở Lao động - Thương binh và Xã hội"]


def test_a_place_in_the_task_text_is_not_its_lead() -> None:
    path = DATA / "plans-real" / "kh-235-2025-ubnd-thanh-hoa-quan-trac-thuy-san.md"
    plan = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2025, 11, 18)))
    assert not [t for t in plan.tasks if "truc lam" in t.lead.lower().replace("â", "a")]
    assert not any(t.lead.startswith(("Phường", "Xã")) for t in plan.tasks)


async def test_no_fragment_becomes_an_agency(sqlite_url: str) -> None:
    csv = (
        "TT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành\n"
        "1,Tuyên truyền phòng chống ma túy,Sở Văn hóa và Thể thao,đối tượng,Quý IV/2022\n"
        "2,Kiểm tra cơ sở kinh doanh,Trưởng Ban Chỉ đạo,Sở Y tế,Quý IV/2022\n"
    ).encode()
    st = await Storage.open(sqlite_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: datetime(2022, 3, 1, tzinfo=UTC))
        options = ImportOptions(today=date(2022, 3, 1), issuer="Sở Tư pháp", plan="1/KH-STP", year=2022)
        report = await save_parsed(ctx, await parse_file(ctx, csv, "k.csv", options), ImportOptions(today=date(2022, 3, 1)))
        names = {a.name for a in await st.agencies()}
        assert "đối tượng" not in names and "Trưởng Ban Chỉ đạo" not in names
        assert {"Sở Văn hóa và Thể thao", "Sở Y tế"} <= names
        assert sum("không phải tên một cơ quan" in w for w in report.parsed.warnings) == 2
    finally:
        await st.close()


def test_partners_from_field_lines_lists_split_collectives_whole() -> None:
    text = (
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI\nSố: 3/KH-UBND\nQuảng Ngãi, ngày 5 tháng 3 năm 2025\n\nKẾ HOẠCH\n"
        "Chuyển đổi số năm 2025\n\n1. Xây dựng kho dữ liệu dùng chung của tỉnh\n"
        "- Cơ quan chủ trì: Sở Khoa học và Công nghệ\n"
        "- Phối hợp: Sở Tài chính; Sở Nội vụ; các cơ quan, đơn vị liên quan\n- Thời gian: Quý III/2025\n"
        "2. Tập huấn kỹ năng số cho cán bộ\n- Đơn vị chủ trì: Sở Nội vụ\n"
        "- Cơ quan phối hợp: UBND các xã, phường\n- Thời gian hoàn thành: tháng 10/2025\n"
    )
    first, second = plan_from_text(text, ImportOptions(today=date(2025, 3, 5))).tasks
    assert split_agencies(first.partners) == ["Sở Tài chính", "Sở Nội vụ", "các cơ quan, đơn vị liên quan"]
    assert split_agencies(second.partners) == ["UBND các xã, phường"]


def test_partners_in_real_plans_sentence_and_role_heading() -> None:
    """qd-2954 (Sơn La): "a) Chủ trì, phối hợp với …" over a unit's bullets gives their partners;
    kh-153 (Cần Thơ): "Chủ trì, phối hợp với …" inside the item."""
    son_la = DATA / "plans-real" / "qd-2954-2025-ubnd-son-la-xuat-khau.md"
    plan = read_plan(son_la.read_bytes(), son_la.name, ImportOptions(today=date(2025, 11, 20)))
    led = [t for t in plan.tasks if t.lead == "Sở Công Thương"]
    assert led and all(t.partners for t in led[:3])
    can_tho = DATA / "plans-real" / "kh-153-2025-ubnd-can-tho-phong-chong-ma-tuy.md"
    plan = read_plan(can_tho.read_bytes(), can_tho.name, ImportOptions(today=date(2025, 11, 17)))
    item = next(t for t in plan.tasks if t.title.startswith("Chủ trì, phối hợp với các đơn vị liên quan tổ chức tập huấn"))
    assert item.partners == "các đơn vị liên quan"


def test_a_plain_role_paragraph_over_dashed_items_gives_their_partners() -> None:
    """ "Chủ trì, phối hợp với …:" written as a plain paragraph (no "a)") over a unit's dashed
    items is no task: the items are the unit's, with those partners, as under "a) Chủ trì …"."""
    text = (
        "KẾ HOẠCH\nXuất khẩu nông sản năm 2025\n\nV. TỔ CHỨC THỰC HIỆN\n\n**4. Sở Khoa học và Công nghệ**\n\n"
        "Chủ trì, phối hợp với các sở, ngành, UBND các xã, phường và các cơ quan, đơn vị có liên quan:\n\n"
        "- Triển khai thực hiện các chính sách khuyến khích doanh nghiệp, HTX đầu tư.\n\n"
        "- Tập trung cao cho việc xây dựng, quản lý nhãn hiệu, tem truy xuất nguồn gốc.\n"
    )
    plan = read_plan(text.encode(), "ke-hoach.md", ImportOptions(today=date(2025, 6, 1)))
    assert [t.title[:12] for t in plan.tasks] == ["Triển khai t", "Tập trung ca"]
    assert all(t.lead == "Sở Khoa học và Công nghệ" and "các sở, ngành" in t.partners for t in plan.tasks)
