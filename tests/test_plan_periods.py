"""A plan's period read from the document (issue 26 item 4): "giai đoạn 2026–2030", "từ nay đến
năm 2030", "đến hết năm 2027", "năm 2025 và các năm tiếp theo"; an annual report recurs over it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.importing.documents import plan_from_text
from bot.core.importing.options import ImportOptions
from bot.core.importing.plan_facts import title_period

HEAD = "ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ\nSố: 12/KH-UBND\nQuảng Trị, ngày 20 tháng 11 năm 2025\n\nKẾ HOẠCH\n"


@pytest.mark.parametrize(
    ("title", "body", "period"),
    [
        ("Phát triển kinh tế số giai đoạn 2026–2030", "", (2026, 2030)),
        ("Chuyển đổi số", "II. Thời gian thực hiện: từ nay đến năm 2030\n", (2025, 2030)),
        ("Chuyển đổi số", "Thời gian thực hiện: đến hết năm 2027\n", (2025, 2027)),
        ("Chuyển đổi số năm 2025 và các năm tiếp theo", "", (2025, 2029)),
        ("Chuyển đổi số từ nay đến năm 2030", "", (2025, 2030)),
        # the programme a plan carries out ("… đến năm 2030") is not the plan's period
        ("Thực hiện Chương trình phòng, chống ma túy đến năm 2030", "", None),
    ],
)
def test_periods(title: str, body: str, period: tuple[int, int] | None) -> None:
    text = f"{HEAD}{title}\n\n{body}\n1. Sở Nội vụ có trách nhiệm báo cáo kết quả hằng năm.\n"
    assert title_period(text, 2025) == period
    plan = plan_from_text(text, ImportOptions(today=date(2025, 11, 20)))
    assert plan.period == period
    assert (plan.issuer, plan.number, plan.date) == ("Ủy ban nhân dân tỉnh Quảng Trị", "12/KH-UBND", date(2025, 11, 20))


def test_annual_report_recurs_over_the_period() -> None:
    text = f"{HEAD}Chuyển đổi số\n\nThời gian thực hiện: từ nay đến năm 2030\n\n1. Sở Nội vụ báo cáo kết quả trước ngày 15 tháng 12 hằng năm.\n"
    plan = plan_from_text(text, ImportOptions(today=date(2025, 11, 20)))
    (task,) = plan.tasks
    assert [d.year for d in task.dates] == [2025, 2026, 2027, 2028, 2029, 2030]


def test_province_is_the_documents_own_whatever_the_directory_holds() -> None:
    known = ("Ủy ban nhân dân tỉnh Quảng Ngãi", "Sở Nội vụ tỉnh Quảng Ngãi")
    text = f"{HEAD}Chuyển đổi số năm 2026\n\n1. Sở Nội vụ báo cáo kết quả trước ngày 15/12/2026.\n"
    plan = plan_from_text(text, ImportOptions(today=date(2025, 11, 20), known_agencies=known))
    assert plan.issuer == "Ủy ban nhân dân tỉnh Quảng Trị"
    assert plan.title == "Chuyển đổi số năm 2026"
