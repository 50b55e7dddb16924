"""Item 4 of issue 27 on the OCR'd example plans (tests/data/plans/*.ocr.txt), pure: the repaired
text gives the same plan facts as its clean twin, and damaged leads reach the directory's
agencies through the repaired name and the directory's own fuzzy matcher."""

from __future__ import annotations

from datetime import date

from bot.core.domain import AgencyRecord
from bot.core.importing.documents import plan_from_text
from bot.core.importing.leads import place_names
from bot.core.importing.options import ImportOptions
from bot.core.lang.agencies import Directory
from bot.core.repair.decoder import repair_text
from bot.core.text import fold
from tests.conftest import EXAMPLES

PLANS = EXAMPLES / "plans"
QUANG_TRI = PLANS / "ke-hoach-cchc-quang-tri-2022.ocr.txt"


def read(path_name: str, today: date = date(2022, 3, 1)):  # type: ignore[no-untyped-def]
    raw = (PLANS / path_name).read_text(encoding="utf-8")
    return plan_from_text(repair_text(raw), ImportOptions(today=today))


def test_the_ocr_copy_without_its_date_line_takes_the_year_of_its_clean_twin() -> None:
    """The OCR'd Sở Công Thương plan lost its "Quảng Ngãi, ngày 18 tháng 3 năm 2022" line; it
    carries out a decision of January 2022, so it is a 2022 plan (not the period's 2021)."""
    clean = read("ke-hoach-so-cong-thuong-2022.txt")
    ocr = read("ke-hoach-so-cong-thuong-2022.ocr.txt")
    assert clean.year == 2022
    assert (ocr.year, ocr.issuer) == (clean.year, clean.issuer)


def test_the_ocr_copy_reads_the_header_and_title_of_its_clean_twin() -> None:
    """The title's quoted name goes on after a blank line the scan put inside it, and a motto
    whose first word the OCR damaged ("Pọc lập - Tự do - Hạnh phúc") is not part of the issuer."""
    clean = read("ke-hoach-so-cong-thuong-2022.txt")
    ocr = read("ke-hoach-so-cong-thuong-2022.ocr.txt")
    assert ocr.title == "Hưởng ứng phong trào thi đua “Đẩy mạnh cải cách hành chính tỉnh Quảng Ngãi giai đoạn 2021-2025”"
    assert fold(ocr.title) == fold(clean.title)  # (the typed copy misspells it "Hướng ứng")
    assert read("ke-hoach-564-ban-dan-toc-2022.ocr.txt").issuer == "Ban Dân tộc"


def directory() -> Directory:
    names = ["Ủy ban nhân dân tỉnh Quảng Trị", "Sở Nội vụ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Tài chính"]
    records = [AgencyRecord(1, names[0])] + [AgencyRecord(i + 2, name, 1) for i, name in enumerate(names[1:])]
    return Directory(records)


def test_a_run_together_damaged_lead_is_repaired_to_the_directorys_agency() -> None:
    """ "2.S&Nivii" (Sở Nội vụ, OCR'd without its spaces and marks) heads the Sở's tasks: the
    repaired lead is matched to the known Sở Nội vụ, within the issuer's tree."""
    plan = read(QUANG_TRI.name)
    leads = [task.lead for task in plan.tasks if fold(task.lead) == "so noi vu"]
    assert len(leads) >= 6, sorted({task.lead for task in plan.tasks})
    agencies = directory()
    placed = place_names(leads[0], directory=agencies, issuer_id=1)
    assert [(p.status, p.agency_id) for p in placed] == [("matched", 2)]


def test_a_damaged_list_of_two_leads_is_two_agencies_of_the_directory() -> None:
    """ "S& Giáo diic và Dào tao, S& Y t" is two leads (not one new agency), each matched to its
    Sở. ("t" is only an onset: the OCR lost "ế" whole, and the sentence picks the rime back —
    "Sở Y tế", not the "Sở Y tư" a letter-by-letter reading gave.)"""
    plan = read(QUANG_TRI.name)
    compound = next(task.lead for task in plan.tasks if fold(task.lead).startswith("so giao duc"))
    placed = place_names(compound, directory=directory(), issuer_id=1)
    assert len(placed) == 2
    assert placed[0].status == "matched" and placed[0].agency_id == 3, placed
    assert (placed[1].status, placed[1].agency_id) == ("matched", 4), placed


def test_a_table_whose_cells_the_ocr_scattered_gives_no_junk_task_but_a_warning() -> None:
    """The Quảng Trị plan's appendix table came out of the OCR as loose lines, a cell's words
    at a time ("- Quýt định của", "UBND", "huyn."): no task is made of those fragments, none is
    led by a bare "UBND", and the preview says where the table is."""
    plan = read(QUANG_TRI.name)
    sources = [int(task.source.split()[-1]) for task in plan.tasks]
    assert max(sources) < 480, [t.source for t in plan.tasks]  # the body ends at line ~470
    assert not [task for task in plan.tasks if fold(task.lead) in ("ubnd", "hdnd", "hdnd va ubnd", "hdnd, ubnd")]
    assert all(len(task.title.split()) >= 6 for task in plan.tasks), [t.title for t in plan.tasks]
    table = [w for w in plan.warnings if "dòng rời" in w]
    assert len(table) == 1 and table[0].startswith("dòng 485 – dòng 2610"), table
    assert plan.warnings[0] == table[0]  # shown first: the preview lists a plan's first warnings
    assert len(plan.tasks) == 26


def test_a_clean_plan_written_a_paragraph_a_line_has_no_scattered_table() -> None:
    from bot.core.importing.extraction import scattered_cells

    clean = (PLANS / "ke-hoach-so-cong-thuong-2022.txt").read_text(encoding="utf-8").splitlines()
    assert scattered_cells(clean) == []
    wrapped = ["Một dòng văn bản dài như trang in của kế hoạch, gần bảy mươi chữ cái."] * 20
    cells = ["- Sở Nội vụ", "UBND", "huyn.", "Quyết định của"] * 4
    assert scattered_cells(wrapped + cells + wrapped) == [(20, 35)]
